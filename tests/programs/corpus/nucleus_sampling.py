# Decoding strategies for a language model: temperature, top-k and top-p (nucleus) filtering,
# repetition penalty, seeded multinomial sampling with a Generator.
import torch
import torch.nn.functional as F

torch.manual_seed(0)
V = 10
logits = torch.randn(2, V)


def top_k_filter(logits, k):
    v, _ = torch.topk(logits, k)
    return logits.masked_fill(logits < v[:, [-1]], float("-inf"))


def top_p_filter(logits, p):
    sorted_logits, idx = torch.sort(logits, descending=True)
    cum = torch.cumsum(F.softmax(sorted_logits, dim=-1), dim=-1)
    remove = cum > p
    remove[..., 1:] = remove[..., :-1].clone()
    remove[..., 0] = False
    mask = remove.scatter(1, idx, remove)
    return logits.masked_fill(mask, float("-inf"))


print(top_k_filter(logits, 3))
print(top_p_filter(logits, 0.8))
print(F.softmax(top_p_filter(logits, 0.5), -1))
g = torch.Generator().manual_seed(123)
probs = F.softmax(top_k_filter(logits / 0.7, 4), dim=-1)
print(torch.multinomial(probs, 5, replacement=True, generator=g))
print(torch.multinomial(probs, 3, replacement=False, generator=g))
seq = [1]
bigram = torch.randn(V, V)
g.manual_seed(7)
for _ in range(12):
    l = bigram[seq[-1]].clone()
    for tok in set(seq):
        l[tok] = l[tok] / 1.3 if l[tok] > 0 else l[tok] * 1.3
    l = top_p_filter(l.unsqueeze(0) / 0.9, 0.9)
    seq.append(torch.multinomial(F.softmax(l, -1), 1, generator=g).item())
print(seq)
greedy = [1]
for _ in range(6):
    greedy.append(bigram[greedy[-1]].argmax().item())
print(greedy)
print(torch.distributions.Categorical(logits=logits).entropy())
