# The NLP-from-scratch name classifier on synthetic names: letters to one-hot line tensors, a
# hand-written RNN cell (i2h/h2o with LogSoftmax) stepped one letter at a time, NLLLoss, manual
# SGD on parameters, then nn.RNN for the same task; category from topk.
import random
import string

import torch
import torch.nn as nn

random.seed(0)
torch.manual_seed(0)
all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)
stems = {"English": ["son", "ton", "ley"], "Italian": ["ini", "ello", "etti"],
         "Japanese": ["moto", "shi", "kawa"]}
all_categories = list(stems)
category_lines = {c: ["".join(random.choice("bcdfgklmnprst") + random.choice("aeiou")
                              for _ in range(random.randint(1, 2))).capitalize()
                      + random.choice(s) for _ in range(20)] for c, s in stems.items()}
print({c: v[:3] for c, v in category_lines.items()})


def letterToIndex(letter):
    return all_letters.find(letter)


def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


print(lineToTensor("Jones").size())


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.h2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.softmax(self.h2o(combined))
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


rnn = RNN(n_letters, 32, len(all_categories))
criterion = nn.NLLLoss()
learning_rate = 0.005


def categoryFromOutput(output):
    top_n, top_i = output.topk(1)
    return all_categories[top_i[0].item()], top_i[0].item()


def train(category_tensor, line_tensor):
    hidden = rnn.initHidden()
    rnn.zero_grad()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    loss = criterion(output, category_tensor)
    loss.backward()
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)
    return output, loss.item()


current = 0.0
for it in range(1, 151):
    category = random.choice(all_categories)
    line = random.choice(category_lines[category])
    category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
    output, loss = train(category_tensor, lineToTensor(line))
    current += loss
    if it % 50 == 0:
        guess, _ = categoryFromOutput(output)
        print(it, f"{current / 50:.4f}", line, guess, "ok" if guess == category else category)
        current = 0.0


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(n_letters, 32, nonlinearity="tanh")
        self.out = nn.Linear(32, len(all_categories))

    def forward(self, x):
        _, h = self.rnn(x)
        return nn.functional.log_softmax(self.out(h[0]), dim=1)


clf = Classifier()
opt = torch.optim.SGD(clf.parameters(), lr=0.01, momentum=0.5)
data = [(lineToTensor(l), all_categories.index(c)) for c, ls in category_lines.items() for l in ls]
random.shuffle(data)
for epoch in range(3):
    total = 0.0
    for x, c in data:
        loss = criterion(clf(x), torch.tensor([c]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
    print("epoch", epoch, f"{total / len(data):.4f}")
confusion = torch.zeros(len(all_categories), len(all_categories))
with torch.no_grad():
    for x, c in data:
        confusion[c][clf(x).topk(1)[1].item()] += 1
print(confusion / confusion.sum(1, keepdim=True))
