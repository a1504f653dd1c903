# nn.Transformer with causal and padding masks, then greedy and beam-search decoding.
import math

import torch
import torch.nn as nn

torch.manual_seed(0)
V, D, PAD, BOS, EOS = 12, 16, 0, 1, 2


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, D, padding_idx=PAD)
        self.pos = nn.Parameter(torch.randn(1, 16, D) * 0.02)
        self.tf = nn.Transformer(
            d_model=D,
            nhead=2,
            num_encoder_layers=1,
            num_decoder_layers=1,
            dim_feedforward=32,
            dropout=0.0,
            batch_first=True,
        )
        self.out = nn.Linear(D, V)

    def embed(self, x):
        return self.emb(x) * math.sqrt(D) + self.pos[:, : x.size(1)]

    def forward(self, src, tgt):
        tgt_mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(1))
        h = self.tf(
            self.embed(src),
            self.embed(tgt),
            tgt_mask=tgt_mask,
            src_key_padding_mask=src == PAD,
            tgt_key_padding_mask=tgt == PAD,
            memory_key_padding_mask=src == PAD,
        )
        return self.out(h)


model = Seq2Seq()
print(nn.Transformer.generate_square_subsequent_mask(4))
print(sum(p.numel() for p in model.parameters()))
print([k for k in model.state_dict() if "decoder.layers.0" in k][:6])
# task: copy the source sequence
src = torch.randint(3, V, (16, 5))
src[:4, 4] = PAD
tgt = torch.cat([torch.full((16, 1), BOS), src, torch.full((16, 1), EOS)], 1)
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
for step in range(25):
    logits = model(src, tgt[:, :-1])
    loss = nn.functional.cross_entropy(
        logits.reshape(-1, V), tgt[:, 1:].reshape(-1), ignore_index=PAD
    )
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 8 == 0:
        print(step, f"{loss.item():.4f}")
model.eval()


@torch.no_grad()
def greedy(s, max_len=7):
    ys = torch.full((1, 1), BOS)
    for _ in range(max_len):
        nxt = model(s, ys)[:, -1].argmax(-1, keepdim=True)
        ys = torch.cat([ys, nxt], 1)
        if nxt.item() == EOS:
            break
    return ys[0].tolist()


@torch.no_grad()
def beam(s, k=3, max_len=7):
    beams = [([BOS], 0.0)]
    for _ in range(max_len):
        cand = []
        for seq, score in beams:
            if seq[-1] == EOS:
                cand.append((seq, score))
                continue
            lp = model(s, torch.tensor([seq])).log_softmax(-1)[0, -1]
            top = lp.topk(k)
            for v, i in zip(top.values.tolist(), top.indices.tolist()):
                cand.append((seq + [i], score + v))
        beams = sorted(cand, key=lambda c: -c[1])[:k]
    return [(b, round(sc, 3)) for b, sc in beams]


print(src[0].tolist(), greedy(src[:1]))
print(beam(src[:1]))
enc = model.tf.encoder(model.embed(src[:2]), src_key_padding_mask=src[:2] == PAD)
print(enc.shape, enc.grad_fn is None)
