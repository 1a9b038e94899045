# Writes tests/reference/nn/activations.txt: a tiny network of the layers the
# ONNX importer takes from ordinary PyTorch models -- a stride-2 convolution
# with padding 1 (ResNet's), LeakyReLU, AvgPool2d, Tanh and Sigmoid -- in
# PyTorch (float64; the slope 0.125, exact in the model file's float32), in the format of ../shared/reference/nn/ (its README):
# inputs, labels, initial parameters, logits, mean cross-entropy loss, every
# parameter's gradient and every parameter after one Adam step (lr 1e-3,
# betas 0.9/0.999, eps 1e-7). Run with Debian's python3-torch (1.13):
#   /usr/bin/python3 tests/reference/make_activations.py > tests/reference/nn/activations.txt
import torch

torch.manual_seed(5)
torch.set_default_dtype(torch.float64)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 3, 3, stride=2, padding=1)
        self.conv2 = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.fc1 = torch.nn.Linear(16, 5)
        self.fc2 = torch.nn.Linear(5, 3)

    def forward(self, x):
        x = torch.nn.functional.avg_pool2d(torch.nn.functional.leaky_relu(self.conv1(x), 0.125), 2)
        x = torch.tanh(self.conv2(x))
        return self.fc2(torch.sigmoid(self.fc1(torch.flatten(x, 1))))


def dump(name, t):
    t = t.detach().reshape(t.shape if t.dim() else (1,))
    print("# tensor %s %s" % (name, " ".join(str(d) for d in t.shape)))
    print(" ".join(repr(float(v)) for v in t.flatten()))


net = Net()
x = torch.randn(3, 1, 9, 10)
y = torch.tensor([2, 0, 1])
print("# activations: x[3,1,9,10] -> Conv2d(1,3,3,stride=2,pad=1) -> LeakyReLU(0.125) -> AvgPool2d(2) -> "
      "Conv2d(3,4,3,pad=1) -> Tanh -> flatten -> Linear(16,5) -> Sigmoid -> Linear(5,3) -> logits")
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
