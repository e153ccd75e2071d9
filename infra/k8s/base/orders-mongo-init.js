/* global db -- mongosh gives the script the database it runs against */
// Creates the orders service's own user, with readWrite on the orders
// database and nothing else. The mongo image's entrypoint runs this file once,
// as the root user, when it initialises an empty data folder (mounted from the
// ConfigMap orders-mongo-init into /docker-entrypoint-initdb.d). The name and
// password come from the Secret orders-mongo, through the container's
// environment, so they are never written here.
const user = process.env.MONGO_APP_USERNAME;
const pwd = process.env.MONGO_APP_PASSWORD;
if (!user || !pwd) throw new Error('MONGO_APP_USERNAME and MONGO_APP_PASSWORD must be set');
db.getSiblingDB('orders').createUser({ user, pwd, roles: [{ role: 'readWrite', db: 'orders' }] });
