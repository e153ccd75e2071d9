import mongoose, { Schema, type Model } from 'mongoose';
import { versionEverySave } from '../version-every-save';

// What save() sends to MongoDB, seen without a server: the collection's
// updateOne is replaced by a recorder that answers as MongoDB would.
interface Sent {
  filter: Record<string, unknown>;
  update: Record<string, unknown>;
}

function recordingModel(matchedCount: number): { model: Model<{ title: string }>; sent: Sent[] } {
  const schema = new Schema<{ title: string }>({ title: String }, { versionKey: 'version' });
  schema.plugin(versionEverySave);
  const model = mongoose.createConnection().model<{ title: string }>('Probe', schema);
  const sent: Sent[] = [];
  Object.assign(model.collection, {
    updateOne: async (filter: Sent['filter'], update: Sent['update']) => {
      sent.push({ filter, update });
      return { matchedCount, modifiedCount: matchedCount };
    },
  });
  return { model, sent };
}

describe('versionEverySave', () => {
  it('checks and increments the version when a field changed', async () => {
    const { model, sent } = recordingModel(1);
    const doc = model.hydrate({ _id: new mongoose.Types.ObjectId(), title: 'a', version: 3 });
    doc.set('title', 'b');

    await doc.save();

    expect(sent).toEqual([
      { filter: { _id: doc._id, version: 3 }, update: { $set: { title: 'b' }, $inc: { version: 1 } } },
    ]);
    expect(doc.get('version')).toBe(4);
  });

  // optimisticConcurrency: true sends only a findOne here and leaves the version as it was.
  it('checks and increments the version when nothing changed', async () => {
    const { model, sent } = recordingModel(1);
    const doc = model.hydrate({ _id: new mongoose.Types.ObjectId(), title: 'a', version: 3 });

    await doc.save();

    expect(sent).toEqual([{ filter: { _id: doc._id, version: 3 }, update: { $inc: { version: 1 } } }]);
    expect(doc.get('version')).toBe(4);
  });

  it('rejects a stale save with a VersionError', async () => {
    const { model } = recordingModel(0);
    const doc = model.hydrate({ _id: new mongoose.Types.ObjectId(), title: 'a', version: 3 });
    doc.set('title', 'b');

    await expect(doc.save()).rejects.toBeInstanceOf(mongoose.Error.VersionError);
  });
});
