# Building models with nn.Module: layers, named parameters, state_dict, printing.
import torch
from torch import nn

torch.manual_seed(0)


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 64),
            nn.ReLU(),
            nn.Linear(64, 32),
            nn.ReLU(),
            nn.Linear(32, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        return self.linear_relu_stack(x)


model = NeuralNetwork()
print(model)
X = torch.rand(1, 28, 28)
logits = model(X)
pred_probab = nn.Softmax(dim=1)(logits)
y_pred = pred_probab.argmax(1)
print(f"Predicted class: {y_pred}")
for name, param in model.named_parameters():
    print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2].detach().flatten()[:3]}")
print(list(model.state_dict().keys()))
print(sum(p.numel() for p in model.parameters()))
input_image = torch.rand(3, 28, 28)
flat_image = nn.Flatten()(input_image)
print(flat_image.size())
layer1 = nn.Linear(in_features=28 * 28, out_features=20)
hidden1 = layer1(flat_image)
print(hidden1.size())
print(f"After ReLU: {nn.ReLU()(hidden1)[0, :4]}")
seq = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Tanh()})
print(seq)
print(nn.ModuleList([nn.Linear(1, 1) for _ in range(2)]))
model.eval()
print(model.training, model.linear_relu_stack[0].training)
