/**
 * `file://` model save/load for tfjs, as tfjs-node provides: `model.save('file:///path/dir')` writes
 * dir/model.json and dir/weights.bin (each through a temp file, fsync and rename), and
 * `tf.loadLayersModel('file:///path/dir/model.json')` reads them back, checking the weight bytes
 * against the manifest first. `fileSystem(path)` is the same handler for direct use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf } from './core.js';
import { writeFileAtomic } from '../io/atomic.js';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, complex64: 8 };

function specBytes(spec: tf.io.WeightsManifestEntry): number | null {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const b = DTYPE_BYTES[dtype];
  return b === undefined ? null : n * b; // strings have no fixed size
}

function weightBuffer(data: tf.io.WeightData | undefined): Uint8Array {
  if (data == null) return new Uint8Array(0);
  const joined = tf.io.CompositeArrayBuffer.join(data as ArrayBuffer | ArrayBuffer[]);
  return new Uint8Array(joined);
}

class FileSystemHandler implements tf.io.IOHandler {
  constructor(private readonly target: string) {}

  async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    if (artifacts.modelTopology instanceof ArrayBuffer) {
      throw new Error('nodegrad/tfjs fileSystem: saving a binary model topology is not supported');
    }
    const dir = this.target;
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) {
      throw new Error(`nodegrad/tfjs fileSystem: '${dir}' exists and is not a directory (save takes a directory)`);
    }
    fs.mkdirSync(dir, { recursive: true });
    const weights = weightBuffer(artifacts.weightData);
    const modelJSON: Record<string, unknown> = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
    };
    for (const k of ['trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const) {
      if (artifacts[k] != null) modelJSON[k] = artifacts[k];
    }
    writeFileAtomic(path.join(dir, WEIGHTS_BIN), weights);
    writeFileAtomic(path.join(dir, MODEL_JSON), new TextEncoder().encode(JSON.stringify(modelJSON)));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }

  async load(): Promise<tf.io.ModelArtifacts> {
    let file = this.target;
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, MODEL_JSON);
    if (!fs.existsSync(file)) throw new Error(`nodegrad/tfjs fileSystem: '${file}' does not exist`);
    let modelJSON: tf.io.ModelJSON;
    try {
      modelJSON = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`nodegrad/tfjs fileSystem: '${file}' is not valid JSON (${(e as Error).message})`);
    }
    if (modelJSON == null || typeof modelJSON !== 'object' || modelJSON.modelTopology == null) {
      throw new Error(`nodegrad/tfjs fileSystem: '${file}' has no modelTopology (not a tfjs model.json)`);
    }
    const dir = path.dirname(file);
    return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
      const specs: tf.io.WeightsManifestEntry[] = [];
      const parts: Uint8Array[] = [];
      for (const group of manifest) {
        let expected: number | null = 0;
        for (const s of group.weights) {
          specs.push(s);
          const b = specBytes(s);
          expected = expected === null || b === null ? null : expected + b;
        }
        let got = 0;
        for (const p of group.paths) {
          const wf = path.resolve(dir, p);
          if (!fs.existsSync(wf)) throw new Error(`nodegrad/tfjs fileSystem: weight file '${wf}' named by ${file} does not exist`);
          const buf = fs.readFileSync(wf);
          got += buf.byteLength;
          parts.push(buf);
        }
        if (expected !== null && got !== expected) {
          throw new Error(`nodegrad/tfjs fileSystem: the weight files of ${file} hold ${got} bytes; its manifest describes ${expected}`);
        }
      }
      const all = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
      let off = 0;
      for (const p of parts) {
        all.set(p, off);
        off += p.byteLength;
      }
      return [specs, all.buffer];
    });
  }
}

/** A tf.io handler that saves to a directory / loads from a model.json path (or its directory). */
export function fileSystem(target: string): tf.io.IOHandler {
  if (typeof target !== 'string' || target.length === 0) {
    throw new TypeError(`nodegrad/tfjs fileSystem: path must be a non-empty string, got ${String(target)}`);
  }
  return new FileSystemHandler(target.startsWith('file://') ? target.slice('file://'.length) : target);
}

/** Routes `file://` URLs of tf.io (model.save, tf.loadLayersModel, tf.loadGraphModel) to fileSystem. */
export function registerFileRouters(): void {
  const router = (url: string | string[]) => {
    if (Array.isArray(url)) url = url[0];
    return typeof url === 'string' && url.startsWith('file://') ? fileSystem(url) : null;
  };
  tf.io.registerSaveRouter(router as unknown as Parameters<typeof tf.io.registerSaveRouter>[0]);
  tf.io.registerLoadRouter(router as unknown as Parameters<typeof tf.io.registerSaveRouter>[0]);
}
