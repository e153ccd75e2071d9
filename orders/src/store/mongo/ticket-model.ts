import { Schema, type Types } from 'mongoose';
import { versionEverySave } from './version-every-save';

/** A ticket replica as MongoDB stores it. */
export interface TicketDocument {
  _id: Types.ObjectId;
  title: string;
  price: number;
  version: number;
}

export const ticketSchema = new Schema<TicketDocument>(
  {
    title: { type: String, required: true },
    price: { type: Number, required: true, min: 0 },
  },
  { versionKey: 'version' },
);
ticketSchema.plugin(versionEverySave);
