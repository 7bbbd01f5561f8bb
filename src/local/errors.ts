/** A problem with the local stack that the user can fix; `fix` says how. */
export class LocalStackError extends Error {
  constructor(message: string, readonly fix: string) {
    super(message);
    this.name = "LocalStackError";
  }

  /** The message and the fix, as shown to the user. */
  explain(): string {
    return `${this.message}\n→ ${this.fix}`;
  }
}
