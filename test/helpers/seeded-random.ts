export { seededRandom } from '../../src/testkit/seeded-random.js';
