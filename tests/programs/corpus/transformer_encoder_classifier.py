# A Transformer encoder classifier with positional embeddings and a key padding mask.
import torch
import torch.nn as nn

torch.manual_seed(0)
vocab, d_model, seq_len = 20, 16, 7


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(vocab, d_model, padding_idx=0)
        self.pos = nn.Parameter(torch.zeros(1, seq_len, d_model))
        layer = nn.TransformerEncoderLayer(d_model, nhead=4, dim_feedforward=32, dropout=0.0,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, 2)

    def forward(self, tokens):
        pad = tokens == 0
        h = self.encoder(self.emb(tokens) + self.pos, src_key_padding_mask=pad)
        h = h.masked_fill(pad.unsqueeze(-1), 0.0).sum(1) / (~pad).sum(1, keepdim=True)
        return self.head(h)


model = Classifier()
print(model.encoder.layers[0])
tokens = torch.randint(1, vocab, (12, seq_len))
tokens[::3, 5:] = 0
labels = (tokens[:, 0] > vocab // 2).long()
opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
for step in range(15):
    loss = nn.functional.cross_entropy(model(tokens), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 5 == 0:
        print(step, f"{loss.item():.4f}")
model.eval()
with torch.no_grad():
    print(model(tokens[:3]).softmax(-1))
print(len(model.state_dict()), list(model.state_dict())[3:7])
