# The device idioms CPU programs run through: accelerator, cuda, mps, backends, default device.
import torch

device = (torch.accelerator.current_accelerator().type
          if torch.accelerator.is_available() else "cpu")
print(f"Using {device} device")
device2 = torch.device("cuda" if torch.cuda.is_available() else "mps"
                       if torch.backends.mps.is_available() else "cpu")
print(device2, torch.get_default_device())
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
print(torch.backends.cudnn.deterministic, torch.backends.cudnn.is_available())
print(torch.cuda.device_count(), torch.cuda.memory_allocated(), torch.cuda.max_memory_allocated())
if torch.cuda.is_available():
    torch.cuda.reset_peak_memory_stats()
torch.cuda.empty_cache()
torch.cuda.manual_seed_all(0)
x = torch.ones(2, 2).to(device2)
model = torch.nn.Linear(2, 1).to(device2)
print(x.device, next(model.parameters()).device, x.is_cuda)
torch.set_default_device("cpu")
print(torch.zeros(1).device)
print(torch.get_num_threads() >= 1, torch.backends.cuda.matmul.allow_tf32)
