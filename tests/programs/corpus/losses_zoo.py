# The loss functions of torch.nn on one batch: values, reductions and grad_fn names.
import torch
import torch.nn as nn

torch.manual_seed(0)
pred = torch.randn(4, 3, requires_grad=True)
tgt = torch.randn(4, 3)
cls = torch.tensor([0, 2, 1, 2])
pos = torch.rand(4, 3)
sign = torch.tensor([1.0, -1.0, 1.0, -1.0])
losses = [
    ("L1", nn.L1Loss(), (pred, tgt)),
    ("MSE_sum", nn.MSELoss(reduction="sum"), (pred, tgt)),
    ("Huber", nn.HuberLoss(delta=0.5), (pred, tgt)),
    ("SmoothL1", nn.SmoothL1Loss(beta=0.5), (pred, tgt)),
    ("BCE", nn.BCELoss(), (pred.sigmoid(), pos)),
    (
        "BCEWithLogits_pw",
        nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 2.0, 3.0])),
        (pred, pos),
    ),
    ("NLL", nn.NLLLoss(), (pred.log_softmax(1), cls)),
    ("KLDiv", nn.KLDivLoss(reduction="batchmean"), (pred.log_softmax(1), pos.softmax(1))),
    (
        "KLDiv_log",
        nn.KLDivLoss(reduction="batchmean", log_target=True),
        (pred.log_softmax(1), pos.log_softmax(1)),
    ),
    ("PoissonNLL", nn.PoissonNLLLoss(), (pred, pos * 3)),
    ("GaussianNLL", nn.GaussianNLLLoss(), (pred, tgt, pos + 0.1)),
    ("MultiMargin", nn.MultiMarginLoss(), (pred, cls)),
    ("MultiLabelSoftMargin", nn.MultiLabelSoftMarginLoss(), (pred, (pos > 0.5).float())),
    (
        "MultiLabelMargin",
        nn.MultiLabelMarginLoss(),
        (pred, torch.tensor([[0, 1, -1], [2, -1, 0], [1, 2, 0], [0, -1, 1]])),
    ),
    ("SoftMargin", nn.SoftMarginLoss(), (pred[:, 0], sign)),
    ("HingeEmbedding", nn.HingeEmbeddingLoss(margin=0.5), (pred[:, 0], sign)),
    ("MarginRanking", nn.MarginRankingLoss(margin=0.1), (pred[:, 0], pred[:, 1], sign)),
    ("CosineEmbedding", nn.CosineEmbeddingLoss(margin=0.2), (pred, tgt, sign)),
    ("TripletMargin", nn.TripletMarginLoss(margin=1.0), (pred, tgt, pos)),
    ("CrossEntropy_probs", nn.CrossEntropyLoss(), (pred, pos.softmax(1))),
]
for name, fn, args in losses:
    out = fn(*args)
    (g,) = torch.autograd.grad(out, pred)
    print(f"{name:22s} {out.item():.6f} {out.grad_fn.name():34s} {g.abs().sum().item():.5f}")
per = nn.MSELoss(reduction="none")(pred, tgt)
print(per.shape, per.grad_fn.name())
print(nn.SmoothL1Loss(reduction="none")(pred, tgt)[0])
print(nn.BCEWithLogitsLoss(weight=torch.tensor([0.5, 1.0, 2.0]), reduction="sum")(pred, pos))
ctc = nn.CTCLoss(blank=0)
T, N, C, S = 8, 2, 5, 3
log_probs = torch.randn(T, N, C).log_softmax(2).requires_grad_()
targets = torch.tensor([[1, 2, 3], [2, 2, 4]])
l = ctc(log_probs, targets, torch.tensor([8, 7]), torch.tensor([3, 2]))
l.backward()
print(f"ctc {l.item():.5f}", l.grad_fn.name(), f"{log_probs.grad.abs().sum().item():.5f}")
print(nn.functional.triplet_margin_with_distance_loss(pred, tgt, pos, margin=0.5))
