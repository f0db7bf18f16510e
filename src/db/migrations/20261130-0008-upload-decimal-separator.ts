import type { Migration } from './migration';

/**
 * An upload's decimal separator as the uploader gave it ('.' or ','); null: the default, which
 * accepts a decimal comma in `;`-separated files (European spreadsheets) and a dot in any file.
 */
export const uploadDecimalSeparator: Migration = {
  id: '20261130-0008-upload-decimal-separator',
  up: `ALTER TABLE oms.uploads ADD COLUMN decimal_separator text CHECK (decimal_separator IN ('.', ','));`,
  down: `ALTER TABLE oms.uploads DROP COLUMN decimal_separator;`,
};
