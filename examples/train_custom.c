/* A model of its own on Fashion-MNIST through the clcnn library, as a user's program would be:
 *   cc train_custom.c $(pkg-config --cflags --libs clcnn) -o train_custom
 *   ./train_custom [DATA_DIR] [EPOCHS] [TRAINING_IMAGES]
 * DATA_DIR defaults to Debian's /usr/share/datasets/fashion-mnist; TRAINING_IMAGES limits the
 * training set (the tests run it on 2,000 images for one epoch). */
#include <clcnn/clcnn.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call)                                                                          \
    do {                                                                                     \
        if ((call) != CLCNN_OK) {                                                            \
            fprintf(stderr, "train_custom: %s\n", clcnn_last_error());                       \
            return 1;                                                                        \
        }                                                                                    \
    } while (0)

int main(int argc, char **argv)
{
    const char *folder = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    int epochs = argc > 2 ? atoi(argv[2]) : 5, limit = argc > 3 ? atoi(argv[3]) : 0;
    printf("clcnn %s\n", clcnn_version());

    clcnn_dataset data;
    CHECK(clcnn_dataset_load(folder, NULL, CLCNN_DATA_ALL, &data));
    clcnn_source train = clcnn_images_source(&data.train, data.classes);
    clcnn_source test = clcnn_images_source(&data.test, data.classes);
    int count = limit > 0 && limit < train.count ? limit : train.count;

    clcnn_model *model = clcnn_model_create(1, 28, 28);
    clcnn_model_add(model, "conv2d filters=16 kernel=5 padding=same activation=relu");
    clcnn_model_add(model, "maxpool2d pool=2");
    clcnn_model_add(model, "conv2d filters=32 kernel=3 padding=same activation=relu");
    clcnn_model_add(model, "maxpool2d pool=2");
    clcnn_model_add(model, "flatten");
    clcnn_model_add(model, "dense units=10 activation=softmax");
    CHECK(clcnn_model_status(model));

    clcnn_context *context;
    clcnn_trainer *trainer;
    clcnn_train_options options = clcnn_train_defaults();
    CHECK(clcnn_context_create(NULL, NULL, &context));
    CHECK(clcnn_trainer_create(context, model, &options, &trainer));
    double loss, accuracy;
    for (int epoch = 1; epoch <= epochs; epoch++) {
        CHECK(clcnn_fit_epoch(trainer, &train, count, epoch, &loss, &accuracy));
        printf("epoch %d: loss %.4f, accuracy %.4f\n", epoch, loss, accuracy);
    }
    CHECK(clcnn_evaluate(trainer, &test, 0, test.count, &loss, &accuracy, NULL));
    printf("test: loss %.4f, accuracy %.4f on %d images\n", loss, accuracy, test.count);
    CHECK(clcnn_save(trainer, "train_custom.ckpt", data.class_names, data.classes));

    clcnn_trainer_destroy(trainer);
    clcnn_context_destroy(context);
    clcnn_model_destroy(model);
    clcnn_dataset_free(&data);
    return 0;
}
