/**
 * A caller's own provider key (auth modes client / hybrid) was issued by ONE provider: failover
 * must never hand it to another (a different company, or a self-hosted server that would log it).
 * Such a request may only use the targets served by the provider of the model's first target
 * (other models of the same provider included); mock targets never see a key and stay usable.
 */
import type { ResolvedModel } from '../routing/index.js';

const views = new WeakMap<ResolvedModel, ResolvedModel>();

export function ownKeyView(model: ResolvedModel): ResolvedModel {
  let view = views.get(model);
  if (view === undefined) {
    const owner = model.targets[0]?.provider;
    const targets = model.targets.filter((target) => target.provider === owner || target.provider.type === 'mock');
    view = targets.length === model.targets.length ? model : { ...model, targets };
    views.set(model, view);
  }
  return view;
}
