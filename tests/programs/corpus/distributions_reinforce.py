# Policy gradient (REINFORCE) on a 3-armed bandit with torch.distributions.Categorical.
import torch
from torch.distributions import Categorical

torch.manual_seed(0)
true_rewards = torch.tensor([0.2, 0.5, 0.9])
logits = torch.zeros(3, requires_grad=True)
opt = torch.optim.Adam([logits], lr=0.1)
baseline = 0.0
for episode in range(150):
    dist = Categorical(logits=logits)
    actions = dist.sample((16,))
    rewards = torch.bernoulli(true_rewards[actions])
    baseline = 0.9 * baseline + 0.1 * rewards.mean().item()
    loss = -(dist.log_prob(actions) * (rewards - baseline)).mean() - 0.01 * dist.entropy()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if episode % 50 == 0:
        print(episode, f"{rewards.mean().item():.3f}", dist.probs.detach())
print("final policy", torch.softmax(logits, 0).detach())
print(Categorical(probs=torch.tensor([0.25, 0.75])).entropy())
