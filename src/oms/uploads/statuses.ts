/** An upload's statuses, in the order it goes through them: the one list the API, the SQL check and the counts share. */
export const UPLOAD_STATUSES = ['queued', 'processing', 'completed', 'failed'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];
