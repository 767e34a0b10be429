/** A minimal typed event emitter: handlers are removed by the function `on` returns. */
export class Emitter<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  private readonly handlers: { [K in keyof Events]?: Set<Events[K]> } = {};

  on<E extends keyof Events>(event: E, handler: Events[E]): () => void {
    const set = (this.handlers[event] ??= new Set());
    set.add(handler);
    return () => set.delete(handler);
  }

  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    for (const h of this.handlers[event] ?? []) (h as (...a: Parameters<Events[E]>) => void)(...args);
  }
}
