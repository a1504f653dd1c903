# Fitting a curve with L-BFGS and a closure (with and without the strong-Wolfe line search).
import torch

torch.manual_seed(0)
x = torch.linspace(-2, 2, 50, dtype=torch.float64)
y = 1.5 * torch.exp(-0.7 * x ** 2) + 0.2 * x


for ls in (None, "strong_wolfe"):
    params = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([params], lr=1 if ls else 0.5, max_iter=30, line_search_fn=ls)

    def closure():
        opt.zero_grad()
        a, b, c = params
        loss = ((a * torch.exp(b * x ** 2) + c * x - y) ** 2).mean()
        loss.backward()
        return loss

    for it in range(3):
        loss = opt.step(closure)
        print(ls, it, f"{loss.item():.6e}")
    print([round(v, 4) for v in params.tolist()], opt.state[params]["func_evals"])
