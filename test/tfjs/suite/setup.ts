// Set-up half of the tfjs-core suite bundle (scripts/tfjs-core-suite.cjs): register chained ops,
// gradients and the nodegrad backend on the one (ESM) copy of tfjs-core, then choose the test envs
// and the spec filter before dist/tests registers its specs (this module is evaluated first).
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { setTestEnvs, setupTestFilters } from '@tensorflow/tfjs-core/dist/jasmine_util';
import '@tensorflow/tfjs-backend-cpu';
import '../../../lib/tfjs/index.js';
import { setSmallOpRouting } from '../../../lib/backend/registry.js';

// Every call runs on the native kernels, however small, unless NG_TFJS_SMALL=1 (tfjs specs use
// tiny tensors; with routing on they would mostly test nodegrad's js kernels).
if (process.env.NG_TFJS_SMALL !== '1') setSmallOpRouting(false);

const envs = (process.env.NG_TFJS_ENVS ?? 'cpu,nodegrad').split(',');
setTestEnvs(envs.map((name) => ({ name, backendName: name, isDataSync: true })));

// NG_TFJS_INCLUDE: a JSON list of substrings; a spec runs when its full name contains one (all when unset).
const include: string[] | null = process.env.NG_TFJS_INCLUDE ? JSON.parse(process.env.NG_TFJS_INCLUDE) : null;
setupTestFilters([], (name: string) => {
  if (name.includes('computation in worker')) return false; // the cpu backend's own run excludes it too
  return include === null || include.some((s) => name.includes(s));
});
