// Data-parallel MNIST MLP on Open MPI: every rank trains on its own shard of each epoch
// (DistributedSampler); DistributedDataParallel averages the gradients, so all ranks hold the same model.
// Only rank 0 prints and writes the checkpoint. Build first: npm run build && npm run build:mpi
//
//   one machine:   mpirun -np 2 --bind-to none node examples/ddp.mjs [epochs]
//   (as root add --allow-run-as-root; loopback only: --mca btl self,vader,tcp --mca btl_tcp_if_include lo)
//   N machines:    mpirun -np 8 --hostfile hosts --bind-to none -x NODEGRAD_NUM_THREADS=1 node examples/ddp.mjs
import * as ng from '../dist/esm/index.mjs';

const epochs = Number(process.argv[2] ?? 2);
const { rank, worldSize } = ng.distributed.init();
ng.manualSeed(0); // rank 0's initial weights win anyway: DDP broadcasts them

const train = ng.data.mnist({ split: 'train', flatten: true });
const test = ng.data.mnist({ split: 'test', flatten: true });
const trainSet = new ng.data.TensorDataset(train.images, train.labels);
const model = new ng.nn.parallel.DistributedDataParallel(new ng.nn.Sequential(
  new ng.nn.Linear(784, 256), new ng.nn.ReLU(),
  new ng.nn.Linear(256, 128), new ng.nn.ReLU(),
  new ng.nn.Linear(128, 10),
));
// 128 examples per step in all: each rank takes 128 / worldSize of them
const sampler = new ng.data.DistributedSampler(trainSet, { shuffle: true, seed: 0 });
const loader = new ng.data.DataLoader(trainSet, { sampler, batchSize: Math.max(1, Math.floor(128 / worldSize)) });
if (rank === 0) console.log(`${worldSize} ranks, ${sampler.length} images per rank per epoch, ${ng.getNumThreads()} threads per rank`);

const t0 = performance.now();
await ng.fit(model, {
  train: loader, epochs, loss: 'crossEntropy', metrics: ['accuracy'],
  optimizer: new ng.optim.Adam(model.parameters(), { lr: 1e-3 }),
  callbacks: [ng.callbacks.checkpoint('ddp-mnist.safetensors')], // written by rank 0 only
});
const secs = (performance.now() - t0) / 1000;
const r = ng.evaluate(model.module, new ng.data.TensorDataset(test.images, test.labels), { metrics: ['accuracy'], batchSize: 1000 });
if (rank === 0) {
  console.log(`test accuracy ${(r.accuracy * 100).toFixed(2)} % after ${epochs} epochs, ${(train.labels.length * epochs / secs).toFixed(0)} samples/s in all`);
}
