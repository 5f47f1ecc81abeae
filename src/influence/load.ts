// Reading a model's training-data index (tda/ beside its weights), when it ships one.
import { parseTdaIndex, TDA_FILES, type TdaIndex } from './index_file';

type Read = (file: string, optional: boolean) => Promise<Blob | null>;

/** The index, or null when the model has no tda/index.json. */
export async function readTdaIndex(read: Read): Promise<TdaIndex | null> {
  const index = await read(TDA_FILES.index, true);
  if (!index) return null;
  const [projections, grads, docs] = await Promise.all([read(TDA_FILES.projections, false), read(TDA_FILES.grads, false), read(TDA_FILES.docs, false)]);
  return parseTdaIndex({ index: await index.text(), projections: await projections!.arrayBuffer(), grads: await grads!.arrayBuffer(), docs: await docs!.text() });
}
