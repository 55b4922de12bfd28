/**
 * Effects: what a machine asks the world to do. A machine declares each one in `setup()` with
 * {@link effect}, whose implementation does nothing — the host performs the effect from the
 * actions a transition returns. The declarations give the effects their types: {@link EffectOf}
 * is the union of `{ type, params }` a machine can ask for, and the host's handlers are typed
 * from the same object, so a missing or misspelled handler does not compile.
 */

/** Declares an effect with params `P` among a machine's `setup()` actions. */
export const effect =
  <P>() =>
  (_: unknown, _params: P): void => {};

/** A machine's effect declarations, as given to `setup()`. */
export type EffectDeclarations = Record<string, (_: unknown, params: never) => void>;

/** The params of one declared effect. */
export type ParamsOf<D> = D extends (_: unknown, params: infer P) => void ? P : never;

/** The union of `{ type, params }` a set of declarations allows. */
export type EffectOf<D extends EffectDeclarations> = {
  [K in keyof D & string]: { type: K; params: ParamsOf<D[K]> };
}[keyof D & string];

/**
 * Every effect fails the same way: the host tried it, with retries, and gives up. Each machine
 * that owes effects takes this event and says what it means for it.
 */
export interface EffectFailed {
  type: 'EffectFailed';
  /** The effect's type. */
  effect: string;
  reason: string;
  attempts: number;
  at: number;
}
