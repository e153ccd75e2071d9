import type { ValidationError } from 'express-validator';
import {
  BadRequestError,
  CustomError,
  DatabaseConnectionError,
  NotAuthorizedError,
  NotFoundError,
  RequestValidationError,
} from '..';

describe('BadRequestError', () => {
  it('answers 400 with its message as the only error', () => {
    const err = new BadRequestError('Ticket is already reserved');

    expect(err.statusCode).toBe(400);
    expect(err.serializeErrors()).toEqual([{ message: 'Ticket is already reserved' }]);
  });

  it('is a named, operational CustomError and Error', () => {
    const err = new BadRequestError('bad');

    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toBeInstanceOf(CustomError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('BadRequestError');
    expect(err.isOperational).toBe(true);
    expect(err.stack).toContain('BadRequestError: bad');
  });

  it('keeps the cause it was given', () => {
    const cause = new Error('duplicate key');

    const err = new BadRequestError('Email in use', { cause });

    expect(err.cause).toBe(cause);
  });
});

describe('NotFoundError', () => {
  it('answers 404 with "Not Found" by default', () => {
    const err = new NotFoundError();

    expect(err.statusCode).toBe(404);
    expect(err.serializeErrors()).toEqual([{ message: 'Not Found' }]);
    expect(err.name).toBe('NotFoundError');
    expect(err).toBeInstanceOf(CustomError);
  });

  it('answers with the message it was given', () => {
    const err = new NotFoundError('Ticket not found');

    expect(err.serializeErrors()).toEqual([{ message: 'Ticket not found' }]);
  });
});

describe('NotAuthorizedError', () => {
  it('answers 401 with "Not authorized"', () => {
    const err = new NotAuthorizedError();

    expect(err.statusCode).toBe(401);
    expect(err.serializeErrors()).toEqual([{ message: 'Not authorized' }]);
    expect(err.name).toBe('NotAuthorizedError');
    expect(err).toBeInstanceOf(NotAuthorizedError);
    expect(err).toBeInstanceOf(CustomError);
  });
});

describe('RequestValidationError', () => {
  it('answers 400 and names the field of each field error', () => {
    const errors: ValidationError[] = [
      { type: 'field', location: 'body', path: 'email', value: 'nope', msg: 'Email must be valid' },
      { type: 'field', location: 'body', path: 'password', value: '', msg: 'You must supply a password' },
    ];

    const err = new RequestValidationError(errors);

    expect(err.statusCode).toBe(400);
    expect(err.serializeErrors()).toEqual([
      { message: 'Email must be valid', field: 'email' },
      { message: 'You must supply a password', field: 'password' },
    ]);
    expect(err.name).toBe('RequestValidationError');
    expect(err).toBeInstanceOf(CustomError);
  });

  it('leaves out the field of errors that are not about one field', () => {
    const errors: ValidationError[] = [
      { type: 'unknown_fields', msg: 'Unknown field(s)', fields: [{ path: 'admin', location: 'body', value: true }] },
      { type: 'alternative', msg: 'Give an email or a phone', nestedErrors: [] },
    ];

    const err = new RequestValidationError(errors);

    expect(err.serializeErrors()).toEqual([{ message: 'Unknown field(s)' }, { message: 'Give an email or a phone' }]);
  });
});

describe('DatabaseConnectionError', () => {
  it('answers 503 with a generic message', () => {
    const err = new DatabaseConnectionError();

    expect(err.statusCode).toBe(503);
    expect(err.serializeErrors()).toEqual([{ message: 'Error connecting to database' }]);
    expect(err.name).toBe('DatabaseConnectionError');
    expect(err).toBeInstanceOf(CustomError);
  });

  it('keeps the reason and cause for the logs but never serializes them', () => {
    const cause = new Error('connect ECONNREFUSED 10.0.0.7:27017');

    const err = new DatabaseConnectionError('orders-mongo refused the connection', { cause });

    expect(err.reason).toBe('orders-mongo refused the connection');
    expect(err.message).toBe('orders-mongo refused the connection');
    expect(err.cause).toBe(cause);
    expect(err.serializeErrors()).toEqual([{ message: 'Error connecting to database' }]);
  });
});
