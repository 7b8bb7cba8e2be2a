"""Exports the MNIST MLP shape (784-256-128-10 ReLU, PyTorch default init, untrained: throughput does
not depend on the weights) to ONNX for the onnxruntime-node predict row of bench/tfjs.mjs, without
running the whole PyTorch peer (torch_bench.py --onnx exports the trained one).
   /usr/bin/python3 bench/peers/export_mlp_onnx.py OUT.onnx"""
import sys
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)).eval()
torch.onnx.export(model, torch.zeros(128, 784), sys.argv[1], input_names=['x'], output_names=['logits'], opset_version=13)
print(sys.argv[1])
