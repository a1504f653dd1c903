# Module state_dict hooks (renaming keys for old checkpoints), load_state_dict post hooks,
# and torch.testing.assert_close as model tests use it.
import torch
import torch.nn as nn

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(3, 3)
        self._register_load_state_dict_pre_hook(self._upgrade)

    @staticmethod
    def _upgrade(state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        old = prefix + "fc.weight"
        if old in state_dict:
            print("upgrading", old)
            state_dict[prefix + "proj.weight"] = state_dict.pop(old)
            state_dict[prefix + "proj.bias"] = state_dict.pop(prefix + "fc.bias")


model = nn.Sequential(Block(), nn.ReLU(), Block())
old_ckpt = {
    "0.fc.weight": torch.ones(3, 3),
    "0.fc.bias": torch.zeros(3),
    "2.proj.weight": torch.eye(3),
    "2.proj.bias": torch.ones(3),
}
print(model.load_state_dict(old_ckpt))
print(model[0].proj.weight.sum().item(), model[2].proj.bias.tolist())
seen = []
h = model.register_load_state_dict_post_hook(
    lambda module, keys: seen.append((len(keys.missing_keys), len(keys.unexpected_keys)))
)
model.load_state_dict(model.state_dict())
model.load_state_dict(
    {k: v for k, v in model.state_dict().items() if "bias" not in k}, strict=False
)
print(seen)
h.remove()


def drop_bias(module, state_dict, prefix, local_metadata):
    for k in [k for k in state_dict if k.endswith("bias")]:
        del state_dict[k]


lin = nn.Linear(2, 2)
lin._register_state_dict_hook(drop_bias)
print(list(lin.state_dict().keys()))
a = torch.tensor([1.0, 2.0, 3.0])
torch.testing.assert_close(a, a + 1e-7)
try:
    torch.testing.assert_close(a, a + 1e-3)
except AssertionError as e:
    print("AssertionError:", str(e).splitlines()[0])
try:
    torch.testing.assert_close(a, a.double())
except AssertionError as e:
    print("AssertionError:", str(e).splitlines()[0])
torch.testing.assert_close(a, a.double(), check_dtype=False)
torch.testing.assert_close(a, a + 0.01, atol=0.02, rtol=0)
try:
    torch.testing.assert_close(torch.ones(2), torch.ones(3))
except AssertionError as e:
    print("AssertionError:", str(e).splitlines()[0])
torch.testing.assert_close({"w": a, "n": [1, 2]}, {"w": a.clone(), "n": [1, 2]})
print(torch.testing.make_tensor((2, 3), dtype=torch.float32, device="cpu").shape)
print("done")
