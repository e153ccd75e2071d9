import { Types } from 'mongoose';

const HEX_OBJECT_ID = /^[0-9a-f]{24}$/i;

/**
 * Ids are MongoDB ObjectIds in their 24-digit hex form, in both stores, so the
 * routes validate them the same way whichever store runs.
 *
 * @returns a new id
 */
export function newObjectId(): string {
  return new Types.ObjectId().toHexString();
}

/**
 * @param id - anything
 * @returns whether it is a 24-digit hex ObjectId
 */
export function isObjectId(id: unknown): id is string {
  return typeof id === 'string' && HEX_OBJECT_ID.test(id);
}

/**
 * @param id - a ticket id from an event
 * @throws TypeError when it is not a 24-digit hex ObjectId
 */
export function assertObjectId(id: string): void {
  if (!isObjectId(id)) throw new TypeError(`${JSON.stringify(id)} is not an ObjectId`);
}
