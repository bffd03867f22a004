/** A request the server answers with `status` and `message` (4xx/5xx), never a crash. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}
