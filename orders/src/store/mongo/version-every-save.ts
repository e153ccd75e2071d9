import type { Schema } from 'mongoose';

/**
 * Makes every save of an existing document version-checked and versioned:
 * the update matches `{ _id, version: <loaded> }` and does `$inc: { version: 1 }`,
 * and mongoose throws a VersionError when nothing matched.
 *
 * Why not `optimisticConcurrency: true`: it bumps the version only when some
 * path changed (mongoose document.js `$__delta`), and a replica's save often
 * changes nothing but the version, as when ticket:updated only says the ticket
 * was reserved. Events carry the version, so every save must increment it.
 *
 * Like the course's mongoose-update-if-current, this guards `save()` only;
 * `updateOne` and `findOneAndUpdate` skip it, so the stores never use them.
 *
 * @param schema - a schema with `versionKey: 'version'`
 */
export function versionEverySave(schema: Schema): void {
  schema.pre('save', function () {
    if (!this.isNew) this.increment();
  });
}
