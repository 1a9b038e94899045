# Writes tests/reference/nn/conv1d.txt: a tiny 1-D convolutional network in
# PyTorch (float64), in the format of ../shared/reference/nn/ (its README):
# inputs, labels, initial parameters, logits, mean cross-entropy loss, every
# parameter's gradient and every parameter after one Adam step (lr 1e-3,
# betas 0.9/0.999, eps 1e-7). Run with Debian's python3-torch (1.13):
#   /usr/bin/python3 tests/reference/make_conv1d.py > tests/reference/nn/conv1d.txt
import torch

torch.manual_seed(4)
torch.set_default_dtype(torch.float64)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(2, 4, 3, padding=1)
        self.conv2 = torch.nn.Conv1d(4, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4 * 3, 3)

    def forward(self, x):
        x = torch.nn.functional.max_pool1d(torch.relu(self.conv1(x)), 2)
        x = torch.nn.functional.max_pool1d(torch.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


def dump(name, t):
    t = t.detach().reshape(t.shape if t.dim() else (1,))
    print("# tensor %s %s" % (name, " ".join(str(d) for d in t.shape)))
    print(" ".join(repr(float(v)) for v in t.flatten()))


net = Net()
x = torch.randn(2, 2, 13)
y = torch.tensor([2, 0])
print("# conv1d: x[2,2,13] -> Conv1d(2,4,3,pad=1) -> ReLU -> MaxPool1d(2) -> Conv1d(4,4,3,pad=1) -> ReLU -> "
      "MaxPool1d(2) -> flatten (C,W order) -> Linear(12,3) -> logits")
print("# loss: mean softmax cross-entropy over the batch; optimizer: one Adam step, lr=1e-3, beta1=0.9, "
      "beta2=0.999, eps=1e-7; torch %s" % torch.__version__)
dump("x", x)
dump("y", y.double())
for name, p in net.named_parameters():
    dump(name, p)
logits = net(x)
loss = torch.nn.functional.cross_entropy(logits, y)
dump("logits", logits)
dump("loss", loss)
loss.backward()
for name, p in net.named_parameters():
    dump("grad_" + name, p.grad)
opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
opt.step()
for name, p in net.named_parameters():
    dump("adam1_" + name, p)
