# The rest of torch.optim on a small regression: NAdam (and NAdamW), RAdam, Adamax, ASGD (with
# its averaged iterate), Rprop; then a state_dict round trip in the middle of training.
import torch

torch.manual_seed(0)
X = torch.randn(64, 6)
y = torch.sin(X @ torch.randn(6, 1))


def model_and_loss():
    torch.manual_seed(2)
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    return net, torch.nn.MSELoss()


def fit(make, steps=30):
    net, crit = model_and_loss()
    opt = make(net.parameters())
    for _ in range(steps):
        opt.zero_grad()
        loss = crit(net(X), y)
        loss.backward()
        opt.step()
    return net, opt, loss.item()


for name, make in [
    ("nadam", lambda p: torch.optim.NAdam(p, lr=0.01)),
    ("nadamw", lambda p: torch.optim.NAdam(p, lr=0.01, weight_decay=0.01,
                                           decoupled_weight_decay=True)),
    ("radam", lambda p: torch.optim.RAdam(p, lr=0.01)),
    ("adamax", lambda p: torch.optim.Adamax(p, lr=0.02)),
    ("asgd", lambda p: torch.optim.ASGD(p, lr=0.05, t0=10)),
    ("rprop", lambda p: torch.optim.Rprop(p, lr=0.01)),
]:
    net, opt, loss = fit(make)
    first = net[0].weight
    st = opt.state[first]
    print(f"{name:7s} {loss:.5f} {sorted(st)} step={st['step'].item():.0f}")
    if name == "asgd":
        print("averaged", [round(v, 4) for v in st["ax"][0, :3].tolist()], st["mu"].item())
    if name == "nadam":
        print("mu_product", f"{st['mu_product'].item():.6e}")

net, opt, _ = fit(lambda p: torch.optim.RAdam(p, lr=0.01), steps=10)
saved = opt.state_dict()
print(saved["param_groups"][0]["betas"], sorted(saved["state"][0]))
opt2 = torch.optim.RAdam(net.parameters(), lr=0.01)
opt2.load_state_dict(saved)
print(opt2.state[net[0].weight]["step"].item(), opt2.param_groups[0]["lr"])
print(opt2)
