# Variable-length sequence classification with packed sequences (after PyTorch's
# torch.nn.utils.rnn docs): pad, pack (unsorted), bidirectional GRU, classify from h_n.
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

torch.manual_seed(0)
lengths = [7, 3, 5, 2, 6, 4]
seqs = [torch.randn(n, 4) for n in lengths]
labels = torch.tensor([n % 2 for n in lengths])


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(4, 8, num_layers=2, batch_first=True, bidirectional=True)
        self.head = nn.Linear(16, 2)

    def forward(self, padded, lens):
        packed = pack_padded_sequence(padded, lens, batch_first=True, enforce_sorted=False)
        out, h = self.rnn(packed)
        feats = torch.cat([h[-2], h[-1]], dim=1)
        return self.head(feats), out


model = Classifier()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
padded = pad_sequence(seqs, batch_first=True)
lens = torch.tensor(lengths)
for step in range(15):
    logits, out = model(padded, lens)
    loss = nn.functional.cross_entropy(logits, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 5 == 0:
        print(step, round(loss.item(), 5))
unpacked, out_lens = pad_packed_sequence(out, batch_first=True)
print(unpacked.shape, out_lens.tolist(), out.batch_sizes.tolist(), out.sorted_indices.tolist())
print(unpacked[1, 3:].abs().sum().item(), type(out.data.grad_fn).__name__)
lstm = nn.LSTM(4, 3)
packed = torch.nn.utils.rnn.pack_sequence([s for s in sorted(seqs, key=len, reverse=True)])
o, (h, c) = lstm(packed)
print(o.data.shape, h.shape, round(h.sum().item(), 5), round(c.sum().item(), 5))
