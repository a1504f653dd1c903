# Profiling a model with torch.profiler and torch.autograd.profiler (record_function labels).
import torch
import torch.nn as nn
from torch.profiler import ProfilerActivity, profile, record_function

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10))
inputs = torch.randn(16, 32)
with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
    with record_function("model_inference"):
        out = model(inputs)
print(out.shape)
events = prof.key_averages()
keys = {e.key for e in events}
print("model_inference" in keys, len(events) > 0)
label = [e for e in events if e.key == "model_inference"][0]
print(label.count, label.cpu_time_total >= 0)
table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=5)
print(isinstance(table, str), "Name" in table, "model_inference" in table)
by_shape = prof.key_averages(group_by_input_shape=True)
print(len(by_shape) >= len(events) - 1)

with torch.autograd.profiler.profile() as prof2:
    for _ in range(3):
        with torch.autograd.profiler.record_function("step"):
            loss = model(inputs).pow(2).mean()
            loss.backward()
steps = [e for e in prof2.key_averages() if e.key == "step"]
print(steps[0].count, type(prof2.key_averages().table()).__name__)
print(loss.item() > 0, model[0].weight.grad.shape)
