import type { LocalMetadataStore } from './local-store.js'
import { ensurePath, parentOf } from './store.js'

/**
 * Makes the first getData of `path` answer "no node" and then create it (parents included), as another writer
 * would right behind the read. Returns a function telling whether that read has happened.
 */
export function createBehindFirstRead(store: LocalMetadataStore, path: string, data: Buffer): () => boolean {
  const getData = store.getData.bind(store)
  let raced = false
  store.getData = async (p, w) => {
    const r = await getData(p, w)
    if (p === path && !raced) {
      raced = true
      await ensurePath(store, parentOf(path))
      await store.create(path, data)
    }
    return r
  }
  return () => raced
}

/** Lets watch notifications (delivered on a later turn of the event loop) fire. */
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r))
