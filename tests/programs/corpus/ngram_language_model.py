# The word-embedding tutorial's N-gram language model: Embedding, log_softmax, NLLLoss.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)
CONTEXT_SIZE, EMBEDDING_DIM = 2, 10
text = """When forty winters shall besiege thy brow, And dig deep trenches in thy beauty's
field, Thy youth's proud livery so gazed on now, Will be a totter'd weed of small worth held""".split()
ngrams = [([text[i - j - 1] for j in range(CONTEXT_SIZE)], text[i])
          for i in range(CONTEXT_SIZE, len(text))]
vocab = sorted(set(text))
word_to_ix = {w: i for i, w in enumerate(vocab)}


class NGramLanguageModeler(nn.Module):
    def __init__(self, vocab_size, embedding_dim, context_size):
        super().__init__()
        self.embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.linear1 = nn.Linear(context_size * embedding_dim, 64)
        self.linear2 = nn.Linear(64, vocab_size)

    def forward(self, inputs):
        embeds = self.embeddings(inputs).view((1, -1))
        out = F.relu(self.linear1(embeds))
        return F.log_softmax(self.linear2(out), dim=1)


losses = []
loss_function = nn.NLLLoss()
model = NGramLanguageModeler(len(vocab), EMBEDDING_DIM, CONTEXT_SIZE)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
for epoch in range(4):
    total_loss = 0
    for context, target in ngrams:
        context_idxs = torch.tensor([word_to_ix[w] for w in context], dtype=torch.long)
        model.zero_grad()
        log_probs = model(context_idxs)
        loss = loss_function(log_probs, torch.tensor([word_to_ix[target]], dtype=torch.long))
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
    losses.append(round(total_loss, 4))
print(losses)
print(model.embeddings.weight[word_to_ix["beauty's"]])
probs = model(torch.tensor([word_to_ix["thy"], word_to_ix["in"]])).exp()
top = torch.topk(probs, 3, dim=1)
print([vocab[i] for i in top.indices[0].tolist()], top.values)
