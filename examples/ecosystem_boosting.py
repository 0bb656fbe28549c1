"""A Keras network next to XGBoost and LightGBM on the same table, and their average.

scikit-learn's breast-cancer table (569 tumours, 30 features) is split into
train / validation / test. Three models train on the same rows, each stopping
early on the validation set: a small Keras MLP (``EarlyStopping`` with
``restore_best_weights``) on standardised features, an ``xgboost.XGBClassifier``
(``early_stopping_rounds``) and a ``lightgbm.LGBMClassifier``
(``lightgbm.early_stopping``) on the raw ones. ``main`` returns each model's test
accuracy and log loss, and those of the average of the three probabilities.

Only the network is Keras, so the boosters' results are the same whichever
Keras runs it. Run it with Keras, or unchanged on PyTorch with torchbridge:
see README.md.
"""

import keras
import numpy as np


def load_table(seed=0):
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    x, y = load_breast_cancer(return_X_y=True)
    x_fit, x_test, y_fit, y_test = train_test_split(
        x, y, test_size=0.25, random_state=seed, stratify=y
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_fit, y_fit, test_size=0.2, random_state=seed, stratify=y_fit
    )
    return (x_train, y_train), (x_val, y_val), (x_test, y_test)


def train_network(train, val, epochs, seed, verbose):
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train[0])
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(train[0].shape[1],)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name="tabular_mlp",
    )
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    model.fit(
        scaler.transform(train[0]).astype("float32"),
        train[1],
        validation_data=(scaler.transform(val[0]).astype("float32"), val[1]),
        epochs=epochs,
        batch_size=32,
        verbose=verbose,
        callbacks=[keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)],
    )
    return lambda x: model.predict(scaler.transform(x).astype("float32"), verbose=0)[:, 0]


def train_boosters(train, val, seed):
    import lightgbm
    import xgboost

    booster = xgboost.XGBClassifier(
        n_estimators=300,
        max_depth=3,
        learning_rate=0.1,
        early_stopping_rounds=10,
        random_state=seed,
        n_jobs=1,
    )
    booster.fit(*train, eval_set=[val], verbose=False)
    gbm = lightgbm.LGBMClassifier(
        n_estimators=300,
        num_leaves=15,
        learning_rate=0.1,
        random_state=seed,
        n_jobs=1,
        deterministic=True,
        verbose=-1,
    )
    gbm.fit(
        *train, eval_X=val[0], eval_y=val[1], callbacks=[lightgbm.early_stopping(10, verbose=False)]
    )
    return (lambda x: booster.predict_proba(x)[:, 1]), (lambda x: gbm.predict_proba(x)[:, 1])


def main(epochs=50, seed=0, verbose=2):
    from sklearn.metrics import accuracy_score, log_loss

    train, val, (x_test, y_test) = load_table(seed)
    network = train_network(train, val, epochs, seed, verbose)
    xgb_predict, lgb_predict = train_boosters(train, val, seed)
    probs = {
        "network": network(x_test),
        "xgboost": xgb_predict(x_test),
        "lightgbm": lgb_predict(x_test),
    }
    probs["average"] = np.mean(list(probs.values()), axis=0)
    return {
        name: {
            "accuracy": float(accuracy_score(y_test, p > 0.5)),
            "log_loss": float(log_loss(y_test, p)),
        }
        for name, p in probs.items()
    }


if __name__ == "__main__":
    print(main())
