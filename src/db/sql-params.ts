/**
 * Numbered parameters handed out as a statement is composed: each piece asks for the
 * placeholder of the value it needs (`params.add(value)` → `$7`), so pieces written in different
 * files never count `$n` across each other and adding a value to one shifts nothing in another.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  /** `first`: the number of the first placeholder (2 in a tenant scope, whose `$1` is the tenant). */
  constructor(private readonly first = 1) {}

  /** The placeholder of `value`, with a cast when given (`uuid[]`). */
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return `$${this.first + this.values.length - 1}${cast ? `::${cast}` : ''}`;
  }

  /** `unnest($a::t1[], $b::t2[], …)` of `rows`, one array per [column, element type] (a missing value is NULL). */
  unnest<R>(rows: readonly R[], columns: readonly (readonly [keyof R & string, string])[]): string {
    return `unnest(${columns
      .map(([name, type]) =>
        this.add(
          rows.map((row) => row[name] ?? null),
          `${type}[]`,
        ),
      )
      .join(', ')})`;
  }
}
