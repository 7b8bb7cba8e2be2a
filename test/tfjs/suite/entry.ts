// The tfjs-core 4.22.0 suite (dist/tests: its specs and jasmine_util), bundled by esbuild with the
// set-up so that one copy of tfjs-core serves the specs, the cpu backend and nodegrad/tfjs.
import './setup.js';
import '@tensorflow/tfjs-core/dist/tests';
