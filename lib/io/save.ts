/**
 * `ng.save` / `ng.load`: one entry point over the two saved forms (torch.save / torch.load style).
 *
 *   ng.save(model, 'dir')                   → a model folder (config.json + model.safetensors), = model.save(dir)
 *   ng.save('w.safetensors', model)         → one safetensors file of model.stateDict()
 *   ng.save('w.safetensors', stateDict, md) → = ng.saveSafetensors(path, stateDict, md)
 *   ng.load('dir')                          → the Module (= nn.Module.load(dir))
 *   ng.load('w.safetensors')                → the state dict (= ng.loadSafetensors(path))
 *
 * The arguments are the path and the thing to save, in either order. A path ending in `.safetensors`
 * always gets a single safetensors file; otherwise a Module gets a model folder and a state dict a
 * safetensors file. Every write is atomic (temp file, fsync, rename).
 */
import * as fs from 'node:fs';
import { Module } from '../nn/module.js';
import { loadModel, saveModel } from './model.js';
import { loadSafetensors, saveSafetensors, type StateDict } from './safetensors.js';

export function save(a: string | Module | StateDict, b: string | Module | StateDict, metadata?: Record<string, string>): void {
  let file: string;
  let what: Module | StateDict;
  if (typeof a === 'string' && typeof b !== 'string') [file, what] = [a, b];
  else if (typeof b === 'string' && typeof a !== 'string') [file, what] = [b, a];
  else throw new TypeError('save: expected a path (string) and a Module or state dict, in either order');
  if (what instanceof Module) {
    if (file.toLowerCase().endsWith('.safetensors')) saveSafetensors(file, what.stateDict(), metadata);
    else saveModel(what, file, metadata);
    return;
  }
  saveSafetensors(file, what, metadata);
}

/** A model folder → its Module (eval mode); a safetensors file → its state dict. */
export function load(path: string): Module | StateDict {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`load: path must be a non-empty string, got ${String(path)}`);
  let dir = false;
  try {
    dir = fs.statSync(path).isDirectory();
  } catch {
    // not there: loadSafetensors names the file in its error
  }
  return dir ? loadModel(path).model : loadSafetensors(path);
}
