/**
 * The simulated world: the state of Cappella, Hippo and Canon, one injectable object.
 *
 * The HTTP controllers read it and `ComponentSimulator` changes it; nothing else holds state.
 * The clock is injectable so that lag can be tested without waiting.
 */
import { CappellaState } from './cappella-state';
import { CanonState } from './canon-state';
import { HippoState } from './hippo-state';

export class ComponentState {
  readonly cappella = new CappellaState();
  readonly hippo: HippoState;
  readonly canon = new CanonState();

  constructor(readonly now: () => number = () => Date.now()) {
    this.hippo = new HippoState(now);
  }

  clear(): void {
    this.cappella.clear();
    this.hippo.clear();
    this.canon.clear();
  }
}
