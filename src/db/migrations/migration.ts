/** One schema change: applied in order by migrate.ts, listed in registry.ts. */
export interface Migration {
  id: string;
  up: string;
  down: string;
}
