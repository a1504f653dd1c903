# Unrolling RNNCell / GRUCell / LSTMCell by hand and checking against the full layers.
import torch
import torch.nn as nn

torch.manual_seed(0)
seq_len, batch, n_in, n_hid = 5, 3, 4, 6
x = torch.randn(seq_len, batch, n_in)

rnn = nn.RNN(n_in, n_hid)
cell = nn.RNNCell(n_in, n_hid)
cell.weight_ih.data.copy_(rnn.weight_ih_l0.data)
cell.weight_hh.data.copy_(rnn.weight_hh_l0.data)
cell.bias_ih.data.copy_(rnn.bias_ih_l0.data)
cell.bias_hh.data.copy_(rnn.bias_hh_l0.data)
h = torch.zeros(batch, n_hid)
outs = []
for t in range(seq_len):
    h = cell(x[t], h)
    outs.append(h)
full, h_n = rnn(x)
print("RNN cell loop matches:", torch.allclose(torch.stack(outs), full, atol=1e-6))
print(h.grad_fn.name(), h_n.shape)

gru = nn.GRU(n_in, n_hid, batch_first=True)
gcell = nn.GRUCell(n_in, n_hid)
gcell.load_state_dict({k.replace("_l0", ""): v for k, v in gru.state_dict().items()})
xb = x.transpose(0, 1)
h = torch.zeros(batch, n_hid)
for t in range(seq_len):
    h = gcell(xb[:, t], h)
out, hn = gru(xb)
print("GRU cell matches:", torch.allclose(h, hn[0], atol=1e-6), out.shape)

lstm = nn.LSTM(n_in, n_hid, num_layers=1)
lcell = nn.LSTMCell(n_in, n_hid)
print(sorted(lcell.state_dict().keys()))
lcell.load_state_dict({k.replace("_l0", ""): v for k, v in lstm.state_dict().items()})
hx = torch.zeros(batch, n_hid)
cx = torch.zeros(batch, n_hid)
for t in range(seq_len):
    hx, cx = lcell(x[t], (hx, cx))
out, (hn, cn) = lstm(x)
print(
    "LSTM cell matches:", torch.allclose(hx, hn[0], atol=1e-6), torch.allclose(cx, cn[0], atol=1e-6)
)


# a hand-written Elman cell trained on a toy task: predict the running sum sign
class MyCell(nn.Module):
    def __init__(self, n_in, n_hid):
        super().__init__()
        self.i2h = nn.Linear(n_in + n_hid, n_hid)
        self.h2o = nn.Linear(n_hid, 1)

    def forward(self, x, h):
        h = torch.tanh(self.i2h(torch.cat((x, h), dim=1)))
        return self.h2o(h), h


model = MyCell(1, 8)
opt = torch.optim.Adam(model.parameters(), lr=0.02)
data = torch.randn(64, 10, 1)
target = (data.cumsum(1) > 0).float()
for epoch in range(15):
    h = torch.zeros(64, 8)
    loss = 0.0
    for t in range(10):
        y, h = model(data[:, t], h)
        loss = loss + nn.functional.binary_cross_entropy_with_logits(y, target[:, t])
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if epoch % 5 == 0:
        print(f"epoch {epoch} loss {loss.item() / 10:.4f}")
print(type(loss.grad_fn).__name__)
