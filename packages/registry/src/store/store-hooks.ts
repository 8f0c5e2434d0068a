/**
 * Named points inside the stores and GC where a test can hold an operation while another one
 * runs, so that a race is forced instead of hoped for (`createNamespace({ hooks })`). Production
 * code passes none; each point then costs one optional call.
 */
export type StorePoint =
  /** A chunk of an upload was written to the session's writer. */
  | 'upload:chunk-written'
  /** A commit verified the digest of what its writer published; the blob is not moved yet. */
  | 'upload:verified'
  /** A manifest PUT found every reference present, before publishing anything. */
  | 'manifest-put:validated'
  /** A manifest PUT wrote its revision link (and content), before its tags. */
  | 'manifest-put:revision-written'
  /** A manifest PUT wrote its tags, before checking what it published. */
  | 'manifest-put:tags-written'
  /** A manifest DELETE removed the revision, before looking for tags written meanwhile. */
  | 'manifest-delete:revision-deleted'
  /** `TagStore.tag` wrote a tag link, before checking that its manifest still exists. */
  | 'tag:written'
  /** A blob link was written, before checking that the blob still exists. */
  | 'link:written'
  /** GC finished marking; nothing is removed yet. */
  | 'gc:marked'
  /** GC removed a batch of unreferenced manifests, before looking for new references to them. */
  | 'gc:manifests-hidden'
  /** GC removed a batch of unreferenced blob links, before looking for new references to them. */
  | 'gc:links-hidden'
  /** GC moved a batch of blobs to its trash, before looking for links to them. */
  | 'gc:blobs-trashed'
  /** GC looked for links to a trashed batch, before restoring the linked and deleting the rest. */
  | 'gc:blobs-checked';

export interface StoreHookDetail {
  readonly repository?: string;
  readonly digest?: string;
  readonly upload?: string;
  readonly tags?: readonly string[];
}

export interface StoreHooks {
  at(point: StorePoint, detail: StoreHookDetail): void | Promise<void>;
}

/** Calls the hook when there is one. */
export async function reach(
  hooks: StoreHooks | undefined,
  point: StorePoint,
  detail: StoreHookDetail = {},
): Promise<void> {
  if (hooks) await hooks.at(point, detail);
}
