import { body } from 'express-validator';
import request from 'supertest';
import { errorHandler } from '../error-handler';
import { validateRequest } from '../validate-request';
import { buildApp } from './test-app';

const app = buildApp((a) => {
  a.post(
    '/api/tickets',
    body('title').trim().notEmpty().withMessage('Title is required'),
    body('price').isFloat({ gt: 0 }).withMessage('Price must be greater than 0'),
    validateRequest,
    (_req, res) => {
      res.status(201).send({ ok: true });
    },
  );
  a.use(errorHandler);
});

describe('validateRequest', () => {
  it('answers 400 naming every field that failed', async () => {
    const res = await request(app).post('/api/tickets').send({ title: '  ', price: -10 });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errors: [
        { message: 'Title is required', field: 'title' },
        { message: 'Price must be greater than 0', field: 'price' },
      ],
    });
  });

  it('names only the field that failed', async () => {
    const res = await request(app).post('/api/tickets').send({ title: 'concert', price: 0 });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Price must be greater than 0', field: 'price' }] });
  });

  it('lets a valid request through', async () => {
    const res = await request(app).post('/api/tickets').send({ title: 'concert', price: 20 });

    expect(res.status).toBe(201);
  });
});
