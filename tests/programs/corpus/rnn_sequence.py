# Recurrent layers: RNN, LSTM, GRU shapes and values, batch_first, initial states, cells.
import torch
import torch.nn as nn

torch.manual_seed(0)
rnn = nn.RNN(10, 20, 2)
inp = torch.randn(5, 3, 10)
h0 = torch.randn(2, 3, 20)
output, hn = rnn(inp, h0)
print(output.shape, hn.shape, output[-1, 0, :4])
lstm = nn.LSTM(10, 20, 2, batch_first=True)
inp = torch.randn(3, 5, 10)
out, (h, c) = lstm(inp)
print(out.shape, h.shape, c.shape, out[0, -1, :4])
gru = nn.GRU(10, 8, bidirectional=True)
out, h = gru(torch.randn(4, 2, 10))
print(out.shape, h.shape, h[1, 0, :3])
cell = nn.LSTMCell(10, 6)
hx, cx = torch.zeros(3, 6), torch.zeros(3, 6)
for t in range(4):
    hx, cx = cell(torch.randn(3, 10), (hx, cx))
print(hx[0])
print([k for k, _ in lstm.named_parameters()])
loss = out.pow(2).mean()
loss.backward()
print(gru.weight_hh_l0.grad.shape, round(gru.weight_ih_l0_reverse.grad.abs().sum().item(), 4))
