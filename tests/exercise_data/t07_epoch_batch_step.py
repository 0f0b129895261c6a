"""The exercises of 07_epoch_batch_step, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

ASSIGNMENT = "07_epoch_batch_step"
STEPS = {"e07_steps_even", "e07_steps_uneven", "e07_steps_drop_last", "e07_steps_edge"}
TOTAL = {"e07_total_notes", "e07_total_uneven", "e07_total_drop_last", "e07_total_edge"}
TRAIN = {"e07_train_loss", "e07_train_params", "e07_train_mode", "e07_train_steps"}
EXERCISES = {"steps_per_epoch": STEPS, "total_steps": TOTAL, "train_epoch": TRAIN}


CORRECT = {
    "steps with math.ceil and math.floor": """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            if drop_last:
                return math.floor(num_samples / batch_size)
            return math.ceil(num_samples / batch_size)
    """,
    "steps with divmod": """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if num_samples < 0:
                raise ValueError("negative number of samples")
            if batch_size <= 0:
                raise ValueError("batch size must be positive")
            full, rest = divmod(num_samples, batch_size)
            return full + (1 if rest and not drop_last else 0)
    """,
    "steps by asking a DataLoader": """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if num_samples < 0:
                raise ValueError("negative number of samples")
            return len(DataLoader(range(num_samples), batch_size=batch_size, drop_last=drop_last))
    """,
    "total through steps_per_epoch": """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            return epochs * steps_per_epoch(num_samples, batch_size, drop_last)
    """,
    "total by adding up the epochs": """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            total = 0
            per_epoch = steps_per_epoch(num_samples, batch_size, drop_last=drop_last)
            for _ in range(epochs):
                total += per_epoch
            return total
    """,
    "train with zero_grad at the end of each step": """
        def train_epoch(model, loader, loss_fn, optimizer):
            model.train()
            total, count = 0.0, 0
            for inputs, targets in loader:
                loss = loss_fn(model(inputs), targets)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                total += loss.item() * inputs.size(0)
                count += inputs.size(0)
            return total / count
    """,
    "train with model.zero_grad and lists of losses and sizes": """
        def train_epoch(model, loader, loss_fn, optimizer):
            model.train()
            losses, sizes = [], []
            for x, y in loader:
                model.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
                sizes.append(len(y))
            return sum(l * n for l, n in zip(losses, sizes)) / sum(sizes)
    """,
    "train keeping a detached tensor total, converted at the end": """
        def train_epoch(model, loader, loss_fn, optimizer):
            model.train(True)
            total = torch.zeros(())
            count = 0
            for batch in loader:
                inputs, targets = batch
                optimizer.zero_grad(set_to_none=False)
                loss = loss_fn(model(inputs), targets)
                loss.backward()
                optimizer.step()
                total += loss.detach() * len(inputs)
                count += len(inputs)
            return float(total / count)
    """,
}


def _train(body_before_loop="model.train()", step_lines=None, result="total / count"):
    """A train_epoch whose parts can be swapped for a wrong version."""
    step_lines = step_lines or ["optimizer.zero_grad()", "loss = loss_fn(model(x), y)",
                                "loss.backward()", "optimizer.step()"]
    body = "\n".join(" " * 16 + line for line in step_lines)
    return f"""
        def train_epoch(model, loader, loss_fn, optimizer):
            {body_before_loop}
            total, count, losses = 0.0, 0, []
            for x, y in loader:
{body}
                total += loss.item() * len(x)
                count += len(x)
                losses.append(loss.item())
            return {result}
    """


WRONG = {
    # steps_per_epoch
    "steps always rounds down": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return num_samples // batch_size
    """),
    "steps always rounds up": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return -(-num_samples // batch_size)
    """),
    "steps as a float division": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return num_samples / batch_size
    """),
    "steps rounded up but returned as a float": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            if drop_last:
                return float(num_samples // batch_size)
            return float(math.ceil(num_samples / batch_size))
    """),
    "steps without any ValueError": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if drop_last:
                return num_samples // batch_size
            return math.ceil(num_samples / batch_size)
    """),
    "steps without the ValueError for negative num_samples": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1:
                raise ValueError("batch size must be at least 1")
            if drop_last:
                return num_samples // batch_size
            return math.ceil(num_samples / batch_size)
    """),
    "steps rounded to the nearest integer": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return num_samples // batch_size if drop_last else round(num_samples / batch_size)
    """),
    "steps always one more than the full batches": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return num_samples // batch_size + (0 if drop_last else 1)
    """),
    "steps gives at least one step": ("steps_per_epoch", """
        def steps_per_epoch(num_samples, batch_size, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            steps = num_samples // batch_size if drop_last else -(-num_samples // batch_size)
            return max(steps, 1)
    """),
    # total_steps
    "total forgets drop_last": ("total_steps", """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return epochs * math.ceil(num_samples / batch_size)
    """),
    "total rounds the whole run up once": ("total_steps", """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            if drop_last:
                return epochs * (num_samples // batch_size)
            return math.ceil(num_samples * epochs / batch_size)
    """),
    "total rounds the whole run, up or down": ("total_steps", """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            if drop_last:
                return num_samples * epochs // batch_size
            return math.ceil(num_samples * epochs / batch_size)
    """),
    "total with the notes' formula": ("total_steps", """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return epochs * (num_samples / batch_size)
    """),
    "total forgets the epochs": ("total_steps", """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            if batch_size < 1 or num_samples < 0:
                raise ValueError("impossible arguments")
            return num_samples // batch_size if drop_last else -(-num_samples // batch_size)
    """),
    "total without any ValueError": ("total_steps", """
        def total_steps(num_samples, batch_size, epochs, drop_last=False):
            per_epoch = num_samples // batch_size if drop_last else -(-num_samples // batch_size)
            return epochs * per_epoch
    """),
    # train_epoch
    "train without zero_grad": ("train_epoch", _train(
        step_lines=["loss = loss_fn(model(x), y)", "loss.backward()", "optimizer.step()"])),
    "train without model.train()": ("train_epoch", _train(body_before_loop="pass")),
    "train sets model.training by hand": ("train_epoch", _train(
        body_before_loop="model.training = True")),
    "train calls model.train() after the loop": ("train_epoch", """
        def train_epoch(model, loader, loss_fn, optimizer):
            total, count = 0.0, 0
            for x, y in loader:
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(x)
                count += len(x)
            model.train()
            return total / count
    """),
    "train returns the last batch's loss": ("train_epoch", _train(result="loss.item()")),
    "train returns the unweighted mean of batch losses": ("train_epoch", _train(
        result="sum(losses) / len(losses)")),
    "train returns the sum of batch losses": ("train_epoch", _train(result="sum(losses)")),
    "train returns a tensor": ("train_epoch", _train(result="torch.tensor(total / count)")),
    "train returns the last loss tensor": ("train_epoch", _train(result="loss")),
    "train divides by len(loader.dataset)": ("train_epoch", _train(
        result="total / len(loader.dataset)")),
    "train divides by len(loader) * batch_size": ("train_epoch", _train(
        result="total / (len(loader) * loader.batch_size)")),
    "train zeroes the gradients between backward and step": ("train_epoch", _train(
        step_lines=["loss = loss_fn(model(x), y)", "loss.backward()", "optimizer.zero_grad()",
                    "optimizer.step()"])),
    "train steps before backward": ("train_epoch", _train(
        step_lines=["optimizer.zero_grad()", "loss = loss_fn(model(x), y)", "optimizer.step()",
                    "loss.backward()"])),
    "train never steps": ("train_epoch", _train(
        step_lines=["optimizer.zero_grad()", "loss = loss_fn(model(x), y)", "loss.backward()"])),
    "train steps once per epoch": ("train_epoch", """
        def train_epoch(model, loader, loss_fn, optimizer):
            model.train()
            optimizer.zero_grad()
            total, count, weighted = 0.0, 0, 0
            for x, y in loader:
                loss = loss_fn(model(x), y)
                weighted = weighted + loss * len(x)
                total += loss.item() * len(x)
                count += len(x)
            (weighted / count).backward()
            optimizer.step()
            return total / count
    """),
}


# The cell whose hint explains the mistake must be among those that fail.
EXPLAINED_BY = {
    "steps always rounds down": "e07_steps_uneven",
    "steps always rounds up": "e07_steps_drop_last",
    "steps as a float division": "e07_steps_uneven",
    "steps without any ValueError": "e07_steps_edge",
    "total forgets drop_last": "e07_total_drop_last",
    "total rounds the whole run up once": "e07_total_uneven",
    "total with the notes' formula": "e07_total_uneven",
    "train without zero_grad": "e07_train_steps",
    "train without model.train()": "e07_train_mode",
    "train returns the last batch's loss": "e07_train_loss",
    "train returns the unweighted mean of batch losses": "e07_train_loss",
    "train returns a tensor": "e07_train_loss",
    "train steps once per epoch": "e07_train_steps",
    "train divides by len(loader.dataset)": "e07_train_loss",
}


# Exactly the grade cells each wrong answer fails (tests/test_exercises.py checks that it fails no
# other and that they belong to its exercise, or to MAY_ALSO_FAIL).
WRONG_FAILS = {
    "steps always rounds down": {"e07_steps_uneven"},
    "steps always rounds up": {"e07_steps_drop_last"},
    "steps as a float division":
        {"e07_steps_drop_last", "e07_steps_edge", "e07_steps_even", "e07_steps_uneven"},
    "steps rounded up but returned as a float":
        {"e07_steps_drop_last", "e07_steps_edge", "e07_steps_even", "e07_steps_uneven"},
    "steps without any ValueError": {"e07_steps_edge"},
    "steps without the ValueError for negative num_samples": {"e07_steps_edge"},
    "steps rounded to the nearest integer": {"e07_steps_uneven"},
    "steps always one more than the full batches": {"e07_steps_edge", "e07_steps_even", "e07_steps_uneven"},
    "steps gives at least one step": {"e07_steps_drop_last", "e07_steps_edge"},
    "total forgets drop_last": {"e07_total_drop_last"},
    "total rounds the whole run up once": {"e07_total_uneven"},
    "total rounds the whole run, up or down": {"e07_total_drop_last", "e07_total_uneven"},
    "total with the notes' formula":
        {"e07_total_drop_last", "e07_total_edge", "e07_total_notes", "e07_total_uneven"},
    "total forgets the epochs":
        {"e07_total_drop_last", "e07_total_edge", "e07_total_notes", "e07_total_uneven"},
    "total without any ValueError": {"e07_total_edge"},
    "train without zero_grad": {"e07_train_loss", "e07_train_params", "e07_train_steps"},
    "train without model.train()": {"e07_train_mode"},
    "train sets model.training by hand": {"e07_train_mode"},
    "train calls model.train() after the loop": {"e07_train_mode"},
    "train returns the last batch's loss": {"e07_train_loss"},
    "train returns the unweighted mean of batch losses": {"e07_train_loss"},
    "train returns the sum of batch losses": {"e07_train_loss"},
    "train returns a tensor": {"e07_train_loss"},
    "train returns the last loss tensor": {"e07_train_loss"},
    "train divides by len(loader.dataset)": {"e07_train_loss"},
    "train divides by len(loader) * batch_size": {"e07_train_loss"},
    "train zeroes the gradients between backward and step":
        {"e07_train_loss", "e07_train_params", "e07_train_steps"},
    "train steps before backward": {"e07_train_loss", "e07_train_params", "e07_train_steps"},
    "train never steps": {"e07_train_loss", "e07_train_params", "e07_train_steps"},
    "train steps once per epoch": {"e07_train_loss", "e07_train_params", "e07_train_steps"},
}
