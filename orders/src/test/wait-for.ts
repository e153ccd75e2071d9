export { waitFor } from '@grider-ms-tickets/common/testing';
