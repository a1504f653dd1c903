"""Module system: registration, traversal, state_dict, hooks, modes, dtype, containers, errors."""

import copy
from collections import OrderedDict

import numpy as np
import pytest

import nnlite as nl
from nnlite import nn


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc = nn.Linear(d, d)
        self.bn = nn.BatchNorm1d(d)

    def forward(self, x):
        return self.bn(self.fc(x)).relu()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([Block(3), Block(3)])
        self.head = nn.Linear(3, 2, bias=False)
        self.register_buffer("scale", nl.tensor(2.0))
        self.register_buffer("cache", nl.zeros(1), persistent=False)

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return self.head(x) * self.scale


def test_registration_and_state_dict_keys():
    net = Net()
    assert list(net.state_dict()) == [
        "scale",
        "blocks.0.fc.weight", "blocks.0.fc.bias", "blocks.0.bn.weight", "blocks.0.bn.bias",
        "blocks.0.bn.running_mean", "blocks.0.bn.running_var", "blocks.0.bn.num_batches_tracked",
        "blocks.1.fc.weight", "blocks.1.fc.bias", "blocks.1.bn.weight", "blocks.1.bn.bias",
        "blocks.1.bn.running_mean", "blocks.1.bn.running_var", "blocks.1.bn.num_batches_tracked",
        "head.weight",
    ]
    names = [n for n, _ in net.named_parameters()]
    assert names == [k for k in net.state_dict() if "running" not in k and "num_batches" not in k
                     and k != "scale"]
    assert [n for n, _ in net.named_buffers()][:2] == ["scale", "cache"]
    assert [n for n, _ in net.named_modules()][:4] == ["", "blocks", "blocks.0", "blocks.0.fc"]
    assert [n for n, _ in net.named_children()] == ["blocks", "head"]
    nbt = net.state_dict()["blocks.0.bn.num_batches_tracked"]
    assert nbt.dtype == nl.int64 and nbt.shape == () and nbt.item() == 0
    assert isinstance(net.head.weight, nn.Parameter) and net.head.bias is None
    assert net.get_submodule("blocks.1.bn") is net.blocks[1].bn
    assert net.get_parameter("blocks.0.fc.weight") is net.blocks[0].fc.weight


def test_state_dict_shares_memory_and_is_detached():
    fc = nn.Linear(2, 2)
    sd = fc.state_dict()
    assert not sd["weight"].requires_grad
    with nl.no_grad():
        fc.weight.fill_(3.0)
    assert sd["weight"].tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert fc.state_dict(keep_vars=True)["weight"] is fc.weight


def test_shared_parameters_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_load_state_dict_round_trip():
    nl.manual_seed(0)
    a, b = Net(), Net()
    a.train()
    a(nl.randn(4, 3))  # move running stats
    res = b.load_state_dict(a.state_dict())
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and np.array_equal(va.numpy(), vb.numpy())
    # loading copies: the parameter objects stay the same and memory is not shared
    w = b.head.weight
    with nl.no_grad():
        a.head.weight.fill_(7.0)
    assert b.head.weight is w and float(w.sum()) != 7.0 * w.numel()
    assert b.blocks[0].bn.num_batches_tracked.item() == 1


def test_load_state_dict_errors_name_the_keys():
    fc = nn.Linear(4, 3)
    sd = fc.state_dict()
    bad = OrderedDict(sd)
    del bad["bias"]
    bad["extra"] = nl.zeros(1)
    with pytest.raises(RuntimeError) as e:
        fc.load_state_dict(bad)
    msg = str(e.value)
    assert msg.startswith("Error(s) in loading state_dict for Linear:\n\t")
    assert 'Missing key(s) in state_dict: "bias". ' in msg
    assert 'Unexpected key(s) in state_dict: "extra". ' in msg
    assert msg.index("Missing") < msg.index("Unexpected")
    res = fc.load_state_dict(bad, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["extra"]
    assert res == (["bias"], ["extra"])
    wrong = OrderedDict(sd)
    wrong["weight"] = nl.zeros(3, 5)
    for strict in (True, False):
        with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param "
                           r"with shape torch.Size\(\[3, 5\]\) from checkpoint, the shape in "
                           r"current model is torch.Size\(\[3, 4\]\)."):
            fc.load_state_dict(wrong, strict=strict)
    with pytest.raises(RuntimeError, match='While copying the parameter named "weight"'):
        fc.load_state_dict({"weight": np.zeros((3, 4)), "bias": sd["bias"]})


def test_batchnorm_state_dict_missing_num_batches_tracked():
    bn = nn.BatchNorm1d(2)
    sd = bn.state_dict()
    del sd["num_batches_tracked"]
    with pytest.raises(RuntimeError, match='Missing key.*"num_batches_tracked"'):
        bn.load_state_dict(sd)
    # a plain dict (no version metadata) is an old checkpoint: PyTorch fills the counter in
    bn.load_state_dict(dict(sd))


def test_repr_nested_exactly_as_pytorch():
    seq = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    assert repr(seq) == (
        "Sequential(\n  (0): Linear(in_features=4, out_features=3, bias=True)\n"
        "  (1): ReLU()\n)"
    )
    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (blocks): ModuleList(\n"
        "    (0-1): 2 x Block(\n"
        "      (fc): Linear(in_features=3, out_features=3, bias=True)\n"
        "      (bn): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)\n"
        "    )\n"
        "  )\n"
        "  (head): Linear(in_features=3, out_features=2, bias=False)\n"
        ")"
    )


def test_reprs_match_torch():
    torch = pytest.importorskip("torch")
    pairs = [
        (nn.ReLU(), torch.nn.ReLU()), (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
        (nn.ELU(), torch.nn.ELU()), (nn.GELU(), torch.nn.GELU()),
        (nn.GELU("tanh"), torch.nn.GELU("tanh")), (nn.SiLU(), torch.nn.SiLU()),
        (nn.Sigmoid(), torch.nn.Sigmoid()), (nn.Tanh(), torch.nn.Tanh()),
        (nn.Softplus(), torch.nn.Softplus()), (nn.Softmax(1), torch.nn.Softmax(1)),
        (nn.LogSoftmax(-1), torch.nn.LogSoftmax(-1)), (nn.Identity(), torch.nn.Identity()),
        (nn.Flatten(), torch.nn.Flatten()), (nn.Unflatten(1, (2, 3)), torch.nn.Unflatten(1, (2, 3))),
        (nn.Dropout(0.25), torch.nn.Dropout(0.25)), (nn.LayerNorm(5), torch.nn.LayerNorm(5)),
        (nn.BatchNorm1d(3, momentum=None), torch.nn.BatchNorm1d(3, momentum=None)),
        (nn.BatchNorm2d(3, affine=False), torch.nn.BatchNorm2d(3, affine=False)),
        (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()), (nn.MSELoss(), torch.nn.MSELoss()),
        (nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()]),
         torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), torch.nn.ReLU()])),
        (nn.ModuleDict({"a": nn.Tanh()}), torch.nn.ModuleDict({"a": torch.nn.Tanh()})),
        (nn.Sequential(), torch.nn.Sequential()), (nn.ModuleList(), torch.nn.ModuleList()),
        (nn.MLP(4, [8, 8], 3, dropout=0.5),
         torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                             torch.nn.Dropout(0.5), torch.nn.Linear(8, 8),
                             torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Dropout(0.5),
                             torch.nn.Linear(8, 3))),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


def test_setattr_getattr_errors():
    m = nn.Linear(2, 2)
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        m.nope
    with pytest.raises(TypeError, match=r"cannot assign 'torch.FloatTensor' as parameter "
                       r"'weight' \(torch.nn.Parameter or None expected\)"):
        m.weight = nl.zeros(2, 2)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.register_buffer("weight", nl.zeros(1))
    with pytest.raises(KeyError, match='contain'):
        m.register_buffer("a.b", nl.zeros(1))
    with pytest.raises(TypeError, match="cannot assign 'int' object to buffer 'b'"):
        m.register_buffer("b", 3)
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 3)
    with pytest.raises(TypeError, match="torch.nn.Parameter or None required"):
        m.register_parameter("p", nl.zeros(1))
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
        m.to(nl.int64)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(nl.zeros(1))

    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        Early()
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required '
                       r'"forward" function'):
        nn.Module()(1)
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        nn.Parameter(nl.tensor([1, 2]))


def test_reassign_and_delete():
    m = nn.Linear(2, 2)
    m.bias = None
    assert m.bias is None and "bias" not in m.state_dict()
    m.extra = nn.ReLU()
    assert "extra" in dict(m.named_children())
    del m.extra
    assert "extra" not in m._modules
    m.register_buffer("buf", nl.ones(2))
    m.buf = nl.zeros(2)
    assert m.state_dict()["buf"].tolist() == [0.0, 0.0]


def test_train_eval_requires_grad_zero_grad():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    out = net(nl.randn(4, 3)).sum()
    out.backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0.0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    y = net(nl.randn(4, 3))
    assert not y.requires_grad


def test_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    y = m(nl.ones(3, 2))
    assert calls == [nl.Size([3, 2])]
    assert np.allclose(y.detach().numpy(), m.bias.detach().numpy() + 1)
    h1.remove()
    h2.remove()
    y2 = m(nl.ones(3, 2))
    assert len(calls) == 1
    assert np.allclose(y2.detach().numpy(),
                       (nl.ones(3, 2) @ m.weight.T + m.bias).detach().numpy())
    seen = []
    m.register_forward_pre_hook(lambda mod, a, kw: seen.append(sorted(kw)), with_kwargs=True)
    m(input=nl.ones(1, 2))
    assert seen == [["input"]]


def test_apply_and_dtype_conversion_keeps_parameter_identity():
    net = Net()
    w = net.head.weight
    net.head.weight.grad = nl.zeros(2, 3)
    net.double()
    assert net.head.weight is w and w.dtype == nl.float64 and w.grad.dtype == nl.float64
    assert net.blocks[0].bn.running_mean.dtype == nl.float64
    assert net.blocks[0].bn.num_batches_tracked.dtype == nl.int64
    assert net(nl.randn(4, 3, dtype=nl.float64)).dtype == nl.float64
    net.to(nl.float32)
    assert w.dtype == nl.float32
    assert net.to("cpu") is net
    names = []
    net.apply(lambda m: names.append(type(m).__name__))
    assert names[-1] == "Net" and names[0] == "Linear"


def test_deepcopy_is_independent():
    net = Net()
    twin = copy.deepcopy(net)
    assert isinstance(twin.head.weight, nn.Parameter) and twin.head.weight.requires_grad
    with nl.no_grad():
        twin.head.weight.fill_(0.0)
    assert float(net.head.weight.abs().sum()) > 0
    assert list(twin.state_dict()) == list(net.state_dict())


def test_sequential_container():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and s[0] is a and s[-1] is c and list(s) == [a, b, c]
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and list(sub._modules) == ["1", "2"]
    s.append(nn.Tanh())
    assert len(s) == 4
    del s[1]
    assert list(s._modules) == ["0", "1", "2"] and s[1] is c
    with pytest.raises(IndexError, match="index 5 is out of range"):
        s[5]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.act is named[1]
    assert nn.Sequential(nn.Linear(2, 2))(nl.ones(1, 2)).shape == (1, 2)


def test_modulelist_and_moduledict():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in ml] == ["Sigmoid", "Linear", "ReLU", "Tanh"]
    assert len(list(ml.parameters())) == 2 and isinstance(ml[1:], nn.ModuleList)
    with pytest.raises(NotImplementedError):
        ml(1)
    md = nn.ModuleDict({"a": nn.Linear(1, 2)})
    md["b"] = nn.ReLU()
    assert list(md) == ["a", "b"] and "a" in md and len(md) == 2
    assert list(md.state_dict()) == ["a.weight", "a.bias"]
    md.pop("a")
    assert list(md.keys()) == ["b"]


def test_parameter_basics():
    p = nn.Parameter(nl.ones(2))
    assert p.requires_grad and p.is_leaf and isinstance(p, nl.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor([1., 1.], requires_grad=True)")
    q = nn.Parameter(nl.ones(2), requires_grad=False)
    assert not q.requires_grad
    y = (p * 2).sum()
    y.backward()
    assert p.grad.tolist() == [2.0, 2.0]
    assert type(p * 2) is nl.Tensor
