/**
 * The layers of src/, lowest first: a folder imports only folders of lower layers (never one of its own layer or
 * above). Read by .dependency-cruiser.cjs (`npm run lint`) and checked against docs/ARCHITECTURE.md by a test.
 */
const LAYERS = [
  ['lib'],
  ['domain', 'security'],
  ['db', 'config'],
  ['jobs', 'inbound'],
  ['lifecycle', 'channels', 'suppliers', 'notify'],
  ['shops', 'cases'],
  ['sourcing'],
  ['payments'],
  ['purchasing'],
  ['fulfilment'],
  ['orders'],
  ['loop', 'dashboard'],
  ['http'],
  ['app'],
  ['runtime'],
  ['cli'],
];

module.exports = { LAYERS };
