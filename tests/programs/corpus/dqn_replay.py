# DQN in the spirit of the RL tutorial: a toy chain environment, an epsilon-greedy policy, a
# replay buffer (deque + random.sample), a target net with soft updates, SmoothL1Loss, AdamW and
# clip_grad_value_.
import math
import random
from collections import deque, namedtuple

import torch
import torch.nn as nn
import torch.optim as optim

random.seed(0)
torch.manual_seed(0)
Transition = namedtuple("Transition", ("state", "action", "next_state", "reward"))


class ReplayMemory:
    def __init__(self, capacity):
        self.memory = deque([], maxlen=capacity)

    def push(self, *args):
        self.memory.append(Transition(*args))

    def sample(self, batch_size):
        return random.sample(self.memory, batch_size)

    def __len__(self):
        return len(self.memory)


class Chain:
    """States 0..5 as one-hot; action 1 moves right (reward 1 at the end), 0 resets."""

    def __init__(self):
        self.s = 0

    def reset(self):
        self.s = 0
        return torch.nn.functional.one_hot(torch.tensor(self.s), 6).float()

    def step(self, a):
        if a == 1:
            self.s += 1
        else:
            self.s = 0
        done = self.s == 5
        r = 1.0 if done else 0.0
        return torch.nn.functional.one_hot(torch.tensor(self.s), 6).float(), r, done


class DQN(nn.Module):
    def __init__(self, n_obs, n_act):
        super().__init__()
        self.layer1 = nn.Linear(n_obs, 32)
        self.layer2 = nn.Linear(32, 32)
        self.layer3 = nn.Linear(32, n_act)

    def forward(self, x):
        x = torch.relu(self.layer1(x))
        x = torch.relu(self.layer2(x))
        return self.layer3(x)


BATCH_SIZE, GAMMA, EPS_START, EPS_END, EPS_DECAY, TAU, LR = 16, 0.9, 0.9, 0.05, 50, 0.05, 3e-3
policy_net = DQN(6, 2)
target_net = DQN(6, 2)
target_net.load_state_dict(policy_net.state_dict())
optimizer = optim.AdamW(policy_net.parameters(), lr=LR, amsgrad=True)
memory = ReplayMemory(500)
steps_done = 0


def select_action(state):
    global steps_done
    sample = random.random()
    eps = EPS_END + (EPS_START - EPS_END) * math.exp(-1.0 * steps_done / EPS_DECAY)
    steps_done += 1
    if sample > eps:
        with torch.no_grad():
            return policy_net(state).max(1).indices.view(1, 1)
    return torch.tensor([[random.randrange(2)]], dtype=torch.long)


def optimize_model():
    if len(memory) < BATCH_SIZE:
        return None
    transitions = memory.sample(BATCH_SIZE)
    batch = Transition(*zip(*transitions))
    non_final_mask = torch.tensor(tuple(map(lambda s: s is not None, batch.next_state)),
                                  dtype=torch.bool)
    non_final_next = torch.cat([s for s in batch.next_state if s is not None])
    state_batch = torch.cat(batch.state)
    action_batch = torch.cat(batch.action)
    reward_batch = torch.cat(batch.reward)
    q = policy_net(state_batch).gather(1, action_batch)
    next_values = torch.zeros(BATCH_SIZE)
    with torch.no_grad():
        next_values[non_final_mask] = target_net(non_final_next).max(1).values
    expected = (next_values * GAMMA) + reward_batch
    loss = nn.SmoothL1Loss()(q, expected.unsqueeze(1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
    optimizer.step()
    return loss.item()


env = Chain()
for episode in range(12):
    state = env.reset().unsqueeze(0)
    total, losses = 0.0, []
    for t in range(20):
        action = select_action(state)
        obs, reward, done = env.step(action.item())
        total += reward
        reward = torch.tensor([reward])
        next_state = None if done else obs.unsqueeze(0)
        memory.push(state, action, next_state, reward)
        state = next_state
        l = optimize_model()
        if l is not None:
            losses.append(l)
        tsd = target_net.state_dict()
        psd = policy_net.state_dict()
        for key in psd:
            tsd[key] = psd[key] * TAU + tsd[key] * (1 - TAU)
        target_net.load_state_dict(tsd)
        if done:
            break
    mean_loss = sum(losses) / len(losses) if losses else float("nan")
    print(f"episode {episode} steps {t + 1} return {total} loss {mean_loss:.5f}")
with torch.no_grad():
    q = policy_net(torch.eye(6))
print(q.argmax(1).tolist())
print(f"{q.abs().sum().item():.4f}")
