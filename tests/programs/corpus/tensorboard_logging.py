# Logging a training run with torch.utils.tensorboard.SummaryWriter, then reading it back.
import os
import tempfile

import torch
import torch.nn as nn
from torch.utils.tensorboard import SummaryWriter

torch.manual_seed(0)
model = nn.Linear(3, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(32, 3)
y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
with tempfile.TemporaryDirectory() as logdir:
    with SummaryWriter(log_dir=logdir) as writer:
        for step in range(10):
            loss = nn.functional.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            writer.add_scalar("train/loss", loss.item(), step)
            writer.add_scalars("lr", {"group0": opt.param_groups[0]["lr"]}, step)
            if step % 5 == 0:
                writer.add_histogram("weights", model.weight, step)
                print(f"step {step} loss {loss.item():.4f}")
        writer.add_text("notes", "linear regression", 0)
        writer.flush()
        print(writer.get_logdir() == logdir)
    files = [f for f in os.listdir(logdir) if f.startswith("events.out.tfevents")]
    print(len(files) >= 1)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(logdir)
    acc.Reload()
    scalars = acc.Scalars("train/loss")
    print(len(scalars), [s.step for s in scalars][:4])
    print([round(s.value, 4) for s in scalars][-3:])
    print("weights" in acc.Tags()["histograms"])
print(model.weight.detach())
