# nn.Transformer for sequence-to-sequence: masks, teacher forcing, greedy decoding.
import torch
import torch.nn as nn

torch.manual_seed(0)
V, D = 12, 16
emb = nn.Embedding(V, D)
model = nn.Transformer(d_model=D, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                       dim_feedforward=32, dropout=0.0, batch_first=True)
out_proj = nn.Linear(D, V)
params = list(emb.parameters()) + list(model.parameters()) + list(out_proj.parameters())
opt = torch.optim.Adam(params, lr=0.01)
src = torch.randint(3, V, (8, 6))
tgt = torch.cat([torch.ones(8, 1, dtype=torch.long), src.flip(1)], 1)  # learn to reverse
tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]
mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.size(1))
print(mask)
for step in range(30):
    logits = out_proj(model(emb(src), emb(tgt_in), tgt_mask=mask, tgt_is_causal=True))
    loss = nn.functional.cross_entropy(logits.reshape(-1, V), tgt_out.reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 0:
        print(step, f"{loss.item():.4f}")
model.eval()
with torch.no_grad():
    memory = model.encoder(emb(src[:2]))
    ys = torch.ones(2, 1, dtype=torch.long)
    for _ in range(6):
        m = nn.Transformer.generate_square_subsequent_mask(ys.size(1))
        out = model.decoder(emb(ys), memory, tgt_mask=m)
        nxt = out_proj(out[:, -1]).argmax(-1, keepdim=True)
        ys = torch.cat([ys, nxt], 1)
print(ys.tolist())
