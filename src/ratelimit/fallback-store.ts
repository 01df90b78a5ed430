import { MemoryStore, type IncrementResponse, type Options, type Store } from 'express-rate-limit';

// A shared store that hangs (a Redis server that stopped answering) must not hold requests up.
const SHARED_TIMEOUT_MS = 1_000;

function within<T>(p: Promise<T> | T, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`rate-limit store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve(p), late]).finally(() => clearTimeout(timer));
}

/**
 * A shared store (Redis, PostgreSQL) with this process's memory behind it. While the shared
 * store fails, each replica counts on its own, so the limit still holds per replica (at most
 * replicas x RATE_LIMIT_MAX in all) rather than vanishing or refusing everyone; every request
 * tries the shared store first, so counting is shared again as soon as it answers.
 * `onSwitch` hears each change of side (for one log line per outage, not one per request).
 */
export class FallbackStore implements Store {
  readonly localKeys = false;
  private readonly local = new MemoryStore();
  private down = false;
  private options?: Options;

  constructor(
    private readonly shared: Store,
    readonly prefix: string,
    private readonly onSwitch: (down: boolean, err?: unknown) => void,
  ) {}

  init(options: Options): void {
    this.options = options;
    this.local.init(options);
    this.initShared();
  }

  /**
   * Initialises the shared store (again): called once its connection is back, so whatever it
   * prepares on init (Redis's scripts) is prepared on a live connection. Not awaited
   * (express-rate-limit does not await init either); a failure shows up on the next increment.
   */
  initShared(): void {
    if (!this.options || !this.shared.init) return;
    void Promise.resolve(this.shared.init(this.options)).catch(() => undefined);
  }

  private async either<T>(shared: () => Promise<T> | T, local: () => Promise<T> | T): Promise<T> {
    try {
      const r = await within(shared(), SHARED_TIMEOUT_MS);
      if (this.down) {
        this.down = false;
        this.onSwitch(false);
      }
      return r;
    } catch (err) {
      if (!this.down) {
        this.down = true;
        this.onSwitch(true, err);
      }
      return local();
    }
  }

  increment(key: string): Promise<IncrementResponse> {
    return this.either(
      () => this.shared.increment(key),
      () => this.local.increment(key),
    );
  }

  decrement(key: string): Promise<void> {
    return this.either(
      () => this.shared.decrement(key),
      () => this.local.decrement(key),
    );
  }

  resetKey(key: string): Promise<void> {
    return this.either(
      () => this.shared.resetKey(key),
      () => this.local.resetKey(key),
    );
  }

  shutdown(): void {
    this.local.shutdown();
  }
}
